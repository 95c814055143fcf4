namespace AppSwitch.Common.Model;

/// <summary>An application running under `ax run`, as the REST API and `ax get apps` show it.</summary>
public sealed record AppRecord
{
    public required string AppId { get; init; }
    /// <summary>The `--name` given, or empty.</summary>
    public string Name { get; init; } = "";
    public required string NodeId { get; init; }
    public required string Cluster { get; init; }
    /// <summary>The virtual IP (`--ip`), or the node address when none was given (as AppSwitch did).</summary>
    public required string AppIp { get; init; }
    public string Driver { get; init; } = "user";
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public int Pid { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];
    public DateTimeOffset Started { get; init; }
    /// <summary>The endpoint type of its servers as a service instance (`ax run --protocol`): tcp, udp, http or https.</summary>
    public string Protocol { get; init; } = "tcp";
    /// <summary>The egress policy of the app's node (`ax daemon --egress`): allow, deny, or deny except the allowed; empty: unknown.</summary>
    public string Egress { get; init; } = "";
}
