using System.Net;
using AppSwitch.Agent.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace AppSwitch.Fuzz.Targets;

/// <summary>The two gates a node has: a plain cluster and an encrypted one (a fixed AES-256 key).</summary>
internal static class GossipEnvelopes
{
    public const string Cluster = "fuzz-cluster";
    public static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    public static readonly IPEndPoint Peer = new(IPAddress.Parse("10.0.0.9"), 7946);

    public static MessageGate Plain { get; } = new(new PacketEnvelope(Cluster, null), new GossipCounters(), NullLogger.Instance);
    public static MessageGate Encrypted { get; } = new(new PacketEnvelope(Cluster, Key), new GossipCounters(), NullLogger.Instance);

    /// <summary>Input's first byte picks the gate (even: plain, odd: encrypted); the rest is the packet.</summary>
    public static (MessageGate Gate, byte[] Packet) Split(ReadOnlySpan<byte> input) =>
        input.Length == 0 ? (Plain, []) : ((input[0] & 1) == 0 ? Plain : Encrypted, input[1..].ToArray());
}
