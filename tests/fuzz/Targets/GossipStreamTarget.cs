using System.Buffers.Binary;
using AppSwitch.Agent.Cluster;

namespace AppSwitch.Fuzz.Targets;

/// <summary>A TCP gossip exchange (push-pull, state fetch): length-prefixed sealed frames read by
/// <see cref="StreamConnection.ReadAsync"/> from a real socket until the stream ends or is refused.</summary>
internal sealed class GossipStreamTarget : IFuzzTarget
{
    private const int MaxFrame = 1 << 20;

    public string Name => "gossip-stream";

    public IEnumerable<byte[]> Seeds()
    {
        var messages = GossipMessageTarget.RealMessages().ToList();
        yield return [0, .. messages.SelectMany(m => Frame(GossipEnvelopes.Plain, m))];
        yield return [1, .. messages.SelectMany(m => Frame(GossipEnvelopes.Encrypted, m))];
    }

    private static byte[] Frame(MessageGate gate, GossipMessage message)
    {
        var frame = gate.Seal(MessageCodec.Encode(message), headroom: 4);
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(frame.Length - 4));
        return frame;
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        var (gate, stream) = GossipEnvelopes.Split(input);
        using var feed = new SocketFeed(stream);
        // The connection owns the socket; the gate is shared and must outlive it, so only the socket is disposed.
        var connection = new StreamConnection(feed.Reader, GossipEnvelopes.Peer, gate, new GossipCounters(), MaxFrame);
        try
        {
            while (true) connection.ReadAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or GossipDecodeException or StreamRejectedException)
        {
            // GossipNode.IsExchangeFailure: the exchange ends, the node goes on.
        }
    }
}
