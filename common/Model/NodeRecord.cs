namespace AppSwitch.Common.Model;

/// <summary>A member of the cluster, as `ax get nodes` shows it.</summary>
public sealed record NodeRecord
{
    public required string Name { get; init; }
    public required string Cluster { get; init; }
    /// <summary>The node address (gossip and node sockets), with the gossip port in wide output.</summary>
    public required string Address { get; init; }
    /// <summary>alive, suspect, dead or left.</summary>
    public required string State { get; init; }
    public int Apps { get; init; }
    public int Servers { get; init; }
    public long Incarnation { get; init; }
    /// <summary>Version of the entries the node published (how many changes it made).</summary>
    public long StateVersion { get; init; }
    public int GossipPort { get; init; }
    /// <summary>True for the node that answered.</summary>
    public bool Self { get; init; }
    /// <summary>Gossip encryption as the answering node speaks it with this member: "on" (AES-GCM with the cluster's
    /// keyring) or "off" (clear text: anyone reaching the gossip port can join).</summary>
    public string Encryption { get; init; } = EncryptionOff;

    public const string EncryptionOn = "on", EncryptionOff = "off";
}
