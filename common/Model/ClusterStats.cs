namespace AppSwitch.Common.Model;

/// <summary>
/// Gossip traffic and refusal counters of the node that answers (`GET /api/v1/cluster/stats`). A message is
/// one UDP datagram or one TCP frame; bytes are counted on the wire (after encryption).
/// </summary>
public sealed record ClusterStats
{
    public required string Node { get; init; }
    public required string Cluster { get; init; }
    /// <summary>False when gossip is off (--gossip-port 0): every counter is zero.</summary>
    public bool Gossip { get; init; }
    /// <summary>True when the node has a gossip keyring (--gossip-key or a saved one): AES-GCM on every message.</summary>
    public bool Encrypted { get; init; }
    public long MessagesSent { get; init; }
    public long BytesSent { get; init; }
    public long MessagesReceived { get; init; }
    public long BytesReceived { get; init; }
    /// <summary>Datagrams or frames that were not well-formed messages.</summary>
    public long DecodeFailures { get; init; }
    /// <summary>Refused for the key: failed authentication (wrong key), plain text while a key is set, or encrypted without one.</summary>
    public long AuthFailures { get; init; }
    /// <summary>Refused for carrying another cluster name.</summary>
    public long WrongCluster { get; init; }
    /// <summary>Membership events dropped because the agent did not read them fast enough.</summary>
    public long EventsDropped { get; init; }
    /// <summary>Messages of a type newer than this node (a peer of a newer protocol during a rolling upgrade): skipped.</summary>
    public long UnknownMessages { get; init; }
    /// <summary>Membership messages dropped because their handler fell behind the receive loop.</summary>
    public long InboxDropped { get; init; }
}
