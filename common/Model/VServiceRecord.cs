namespace AppSwitch.Common.Model;

/// <summary>A virtual service as the REST API and `ax get vservices` show it.</summary>
public sealed record VServiceRecord
{
    public required string Name { get; init; }
    /// <summary>External or Internal (an external one is also reachable on vport of every node's address, through a relay).</summary>
    public required string Type { get; init; }
    public required string Ip { get; init; }
    public List<VServicePort> Ports { get; init; } = [];
    public List<string> Backends { get; init; } = [];
    public required string LbType { get; init; }
    public string SourceIp { get; init; } = "";
    /// <summary>The node that owns it (where it was created; it is deleted there).</summary>
    public required string NodeId { get; init; }
    public required string Cluster { get; init; }
}
