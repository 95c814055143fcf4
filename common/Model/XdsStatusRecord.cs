namespace AppSwitch.Common.Model;

/// <summary>The agent's xDS client as `GET /api/v1/xds` and `ax get xds` show it (issue 17).</summary>
public sealed record XdsStatusRecord
{
    /// <summary>disabled (no --xds-address), connecting, connected, or backoff (waiting to reconnect; the last good config stays in force).</summary>
    public string State { get; init; } = "disabled";
    public string? Server { get; init; }
    public string? NodeId { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? ConnectedSince { get; init; }
    /// <summary>Per type (Cluster, ClusterLoadAssignment, Listener, RouteConfiguration), in push order.</summary>
    public List<XdsTypeRecord> Types { get; init; } = [];
    /// <summary>What the latest response of each type refused, and why (each was NACKed with these reasons).</summary>
    public List<XdsRefusalRecord> Refused { get; init; } = [];
}
