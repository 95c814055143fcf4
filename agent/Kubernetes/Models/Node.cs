namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>A cluster node: its addresses are where the other agents run (gossip auto-discovery).</summary>
public sealed record Node : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();
    public NodeStatus? Status { get; init; }
}

public sealed record NodeStatus
{
    public List<NodeAddress>? Addresses { get; init; }
}

public sealed record NodeAddress
{
    /// <summary>InternalIP, ExternalIP, Hostname, …</summary>
    public string Type { get; init; } = "";
    public string Address { get; init; } = "";
}
