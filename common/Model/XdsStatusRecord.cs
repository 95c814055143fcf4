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
    /// <summary>Istio's outbound traffic policy in force: REGISTRY_ONLY, ALLOW_ANY, or null when istiod said none (then only --egress applies).</summary>
    public string? Outbound { get; init; }
    /// <summary>Which accepted resource said it (a catch-all filter chain or virtual host, or the special clusters).</summary>
    public string? OutboundSource { get; init; }
    /// <summary>What the latest response of each type refused, and why (each was NACKed with these reasons).</summary>
    public List<XdsRefusalRecord> Refused { get; init; } = [];
}
