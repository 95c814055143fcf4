namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>How the table travels between nodes (--replication) and how long a node's Lease lasts (--replication-lease).</summary>
public sealed record ReplicationSettings
{
    public ReplicationMode Mode { get; init; } = ReplicationMode.Gossip;
    /// <summary>A node whose Lease was not renewed for this long is gone; it renews every third of it.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(40);

    public bool Gossip => Mode is ReplicationMode.Gossip or ReplicationMode.Both;
    public bool ThroughApiServer => Mode is ReplicationMode.Kube or ReplicationMode.Both;

    public static ReplicationMode? ParseMode(string value) => value switch
    {
        "gossip" => ReplicationMode.Gossip,
        "kube" => ReplicationMode.Kube,
        "both" => ReplicationMode.Both,
        _ => null,
    };
}
