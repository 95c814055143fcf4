using System.Net;
using System.Text;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Settings of one gossip node. Defaults follow memberlist's LAN profile (as used by Serf). Read once by
/// <see cref="GossipNode.StartAsync"/>; do not change them afterwards.
/// </summary>
public sealed class GossipOptions
{
    public const int DefaultPort = 7946;

    /// <summary>Unique within the cluster; a node restarted with the same name supersedes its earlier life.</summary>
    public required string NodeName { get; set; }
    /// <summary>Checked on every message: nodes of another cluster are refused.</summary>
    public string ClusterName { get; set; } = "appswitch";

    public IPAddress BindAddress { get; set; } = IPAddress.Any;
    /// <summary>UDP and TCP port; 0 picks a free one (see <see cref="GossipNode.BoundPort"/>).</summary>
    public int BindPort { get; set; } = DefaultPort;
    /// <summary>Address other members reach this node at; default: the bind address, or the first
    /// non-loopback IPv4 address when bound to any.</summary>
    public IPAddress? AdvertiseAddress { get; set; }
    /// <summary>Default: the bound port.</summary>
    public int? AdvertisePort { get; set; }

    // Failure detection (SWIM)
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Members asked to ping a target that did not answer a direct ping (k).</summary>
    public int IndirectChecks { get; set; } = 3;
    /// <summary>Also ping over TCP when UDP probes fail (memberlist does; it helps on lossy networks).</summary>
    public bool TcpFallbackProbe { get; set; } = true;
    /// <summary>Suspicion timeout = multiplier × max(1, log10 N) × probe interval (memberlist: 4).</summary>
    public int SuspicionMultiplier { get; set; } = 4;
    /// <summary>Upper bound of the timeout (Lifeguard), reduced by independent confirmations towards the minimum.</summary>
    public int SuspicionMaxTimeoutMultiplier { get; set; } = 6;
    /// <summary>Lifeguard local health: probe timeout and interval stretch up to this many times on a node that misses
    /// acks (memberlist: 8). 1 turns awareness off, with this node's guards against its own stalls (plain SWIM).</summary>
    public int AwarenessMaxMultiplier { get; set; } = 8;

    // Dissemination
    public TimeSpan GossipInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Fan-out of each gossip round.</summary>
    public int GossipNodes { get; set; } = 3;
    /// <summary>Each broadcast is sent multiplier × ceil(log10(N + 1)) times.</summary>
    public int RetransmitMultiplier { get; set; } = 4;
    /// <summary>Dead members still receive gossip for this long, so a wrongly declared one learns it and refutes.</summary>
    public TimeSpan GossipToTheDeadTime { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Upper bound of queued broadcasts (the queue holds at most one membership and one state
    /// message per member anyway).</summary>
    public int MaxBroadcastQueue { get; set; } = 4096;
    /// <summary>Membership messages waiting for the handler, off the receive loop (memberlist's HandoffQueueDepth).</summary>
    public int HandoffQueueDepth { get; set; } = 1024;

    // Anti-entropy
    /// <summary>Full-state TCP exchange with a random member; scaled up above 32 members as memberlist does. Zero disables it.</summary>
    public TimeSpan PushPullInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How often a push/pull is attempted with a random dead member (partition heal, as Serf's reconnect).</summary>
    public TimeSpan ReconnectInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Dead and departed members are listed (and dead ones retried) this long, then forgotten.</summary>
    public TimeSpan DeadMemberRetention { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Connect and I/O timeout of each TCP exchange.</summary>
    public TimeSpan TcpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    // Join
    public TimeSpan JoinRetryInitial { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan JoinRetryMax { get; set; } = TimeSpan.FromSeconds(30);

    // Sizes
    /// <summary>Upper bound of one UDP datagram on the wire (stay under a typical MTU).</summary>
    public int MaxPacketSize { get; set; } = 1400;
    /// <summary>States up to this size travel inside the gossip notice; larger ones are fetched over TCP.</summary>
    public int InlineStateLimit { get; set; } = 512;
    public int MaxStateSize { get; set; } = 4 * 1024 * 1024;
    /// <summary>Upper bound of one TCP frame (a push/pull carries the states a peer lacks).</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>Optional AES-GCM key (16, 24 or 32 bytes; the agent uses 32). Every datagram and frame is sealed
    /// with a random nonce; nodes without the key can neither join nor inject. Seeds the keyring when
    /// <see cref="Keyring"/> is not given.</summary>
    public byte[]? EncryptionKey { get; set; }

    /// <summary>The keyring to start with (a saved one); wins over <see cref="EncryptionKey"/>. Changed at run time
    /// through <see cref="GossipNode.Keyring"/>.</summary>
    public KeyringState? Keyring { get; set; }

    /// <summary>Called (on a gossip thread) with every new keyring version this node takes, to persist it.</summary>
    public Action<KeyringState>? KeyringChanged { get; set; }

    /// <summary>How often a node gossips which keys it holds (members that joined later learn it; `keys list` counts it).</summary>
    public TimeSpan KeyringAnnounceInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The keyring this node starts with, or null for clear text.</summary>
    internal KeyringState? InitialKeyring => Keyring ?? (EncryptionKey is null ? null : KeyringState.Seed(EncryptionKey, NodeName));

    /// <summary>The protocol versions this node speaks (see <see cref="ProtocolVersions"/>). Only tests change it: a
    /// range one above <see cref="ProtocolVersions.Supported"/> plays the next release in version-skew tests.</summary>
    internal ProtocolRange Protocol { get; set; } = ProtocolVersions.Supported;

    /// <summary>Events kept for a slow reader; the oldest are dropped beyond this (counted).</summary>
    public int EventCapacity { get; set; } = 65536;

    /// <summary>Test hook: return true to drop a datagram (or refuse a TCP connection) to or from a peer.</summary>
    public Func<PacketDirection, IPEndPoint, bool>? DropPacket { get; set; }

    /// <summary>Decodes a base64 key and checks its length (16, 24 or 32 bytes: AES-128/192/256; 32 recommended).</summary>
    public static byte[] ParseKey(string base64)
    {
        byte[] key;
        try { key = Convert.FromBase64String(base64.Trim()); }
        catch (FormatException) { throw new ArgumentException("the gossip key is not valid base64"); }
        if (!KeyringState.IsValidKeyLength(key.Length))
            throw new ArgumentException($"the gossip key must be base64 of 16, 24 or 32 bytes, not of {key.Length}");
        return key;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(!string.IsNullOrEmpty(NodeName) && Encoding.UTF8.GetByteCount(NodeName) <= 255, "the node name must be 1 to 255 bytes");
        Check(!string.IsNullOrEmpty(ClusterName) && Encoding.UTF8.GetByteCount(ClusterName) <= 64, "the cluster name must be 1 to 64 bytes");
        Check(BindPort is >= 0 and <= 65535, "the gossip port must be 0..65535");
        Check(AdvertisePort is null or (> 0 and <= 65535), "the advertised port must be 1..65535");
        Check(ProbeInterval > TimeSpan.Zero && ProbeTimeout > TimeSpan.Zero && ProbeTimeout < ProbeInterval,
            "the probe timeout must be positive and shorter than the probe interval");
        Check(IndirectChecks >= 0 && GossipNodes >= 1 && RetransmitMultiplier >= 1, "indirect checks, gossip nodes and retransmit multiplier out of range");
        Check(SuspicionMultiplier >= 1 && SuspicionMaxTimeoutMultiplier >= 1 && AwarenessMaxMultiplier >= 1, "suspicion and awareness multipliers must be at least 1");
        Check(GossipInterval > TimeSpan.Zero, "the gossip interval must be positive");
        Check(PushPullInterval >= TimeSpan.Zero && ReconnectInterval >= TimeSpan.Zero, "intervals must not be negative");
        Check(TcpTimeout > TimeSpan.Zero && JoinRetryInitial > TimeSpan.Zero && JoinRetryMax >= JoinRetryInitial, "timeouts out of range");
        Check(MaxPacketSize is >= 576 and <= 65000, "the packet size must be 576..65000");
        Check(InlineStateLimit >= 0 && InlineStateLimit <= MaxPacketSize - 450, "the inline state limit must leave room in a packet for headers");
        Check(MaxStateSize > 0 && MaxFrameSize >= MaxStateSize + 4096, "the frame size must exceed the state size");
        Check(EncryptionKey is null || EncryptionKey.Length is 16 or 24 or 32, "the encryption key must be 16, 24 or 32 bytes");
        Check(Keyring?.Problem() is null, $"the keyring is invalid: {Keyring?.Problem()}");
        Check(KeyringAnnounceInterval > TimeSpan.Zero, "the keyring announce interval must be positive");
        Check(Protocol.IsValid && Protocol.Min <= ProtocolVersions.Supported.Max && Protocol.Max <= ProtocolVersions.Supported.Max + 1,
            $"the protocol range {Protocol} is not one this build can speak");
        Check(EventCapacity >= 1 && MaxBroadcastQueue >= 16 && HandoffQueueDepth >= 16, "capacities out of range");
    }
}
