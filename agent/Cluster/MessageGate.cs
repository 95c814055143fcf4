using System.Net;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Admission of inbound datagrams and frames (envelope, cluster name, key, decoding) with the counters and
/// low-rate logs of what is refused; and sealing of outbound messages.
/// </summary>
internal sealed class MessageGate(PacketEnvelope envelope, GossipCounters counters, ILogger logger) : IDisposable
{
    private readonly PeerLogLimiter _rateLimited = new(TimeSpan.FromSeconds(10));
    private readonly PeerLogLimiter _oncePerPeer = new(TimeSpan.MaxValue);

    public int Overhead => envelope.Overhead;

    public byte[] Seal(ReadOnlySpan<byte> message, int headroom = 0) => envelope.Seal(message, headroom);

    /// <summary>The message, or null when refused (counted and, at a low rate, logged).</summary>
    public GossipMessage? Open(ArraySegment<byte> packet, IPEndPoint from)
    {
        var status = envelope.Open(packet, out var message, out var foreignCluster);
        switch (status)
        {
            case OpenStatus.Ok:
                try { return MessageCodec.Decode(message); }
                catch (GossipDecodeException e)
                {
                    counters.DecodeFailure();
                    if (_rateLimited.ShouldLog("decode", from))
                        logger.LogWarning("Gossip: undecodable message from {Peer}: {Reason}", from, e.Message);
                    return null;
                }
            case OpenStatus.Malformed or OpenStatus.UnsupportedVersion:
                counters.DecodeFailure();
                if (_rateLimited.ShouldLog("decode", from))
                    logger.LogWarning("Gossip: malformed packet from {Peer} ({Status})", from, status);
                return null;
            case OpenStatus.WrongCluster:
                counters.WrongClusterRejected();
                if (_oncePerPeer.ShouldLog("cluster", from))
                    logger.LogWarning("Gossip: refusing {Peer}: it belongs to cluster {ForeignCluster}", from, foreignCluster);
                return null;
            default:
                counters.AuthFailure();
                if (_rateLimited.ShouldLog("auth", from))
                    logger.LogWarning("Gossip: dropping packet from {Peer}: {Reason}", from, status switch
                    {
                        OpenStatus.NotEncrypted => "not encrypted but a gossip key is set",
                        OpenStatus.KeyMissing => "encrypted but no gossip key is set",
                        _ => "authentication failed (wrong gossip key?)",
                    });
                return null;
        }
    }

    public void Dispose() => envelope.Dispose();
}
