using System.Net;
using AppSwitch.Agent.Cluster;

namespace AppSwitch.Fuzz.Targets;

/// <summary>A gossip message after the envelope (after decryption): <see cref="MessageCodec.Decode"/>.</summary>
internal sealed class GossipMessageTarget : IFuzzTarget
{
    public string Name => "gossip-message";

    /// <summary>One message of every kind, as a node sends them.</summary>
    public static IEnumerable<GossipMessage> RealMessages()
    {
        var a = new IPEndPoint(IPAddress.Parse("10.0.0.5"), 7946);
        var b = new IPEndPoint(IPAddress.Parse("fd00::7"), 7946);
        var state = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        yield return new Ping(42, "node-b", "node-a");
        yield return new IndirectPing(43, "node-c", b, "node-a", WantsNack: true);
        yield return new Ack(42);
        yield return new Nack(43);
        yield return new Alive("node-a", a, 3, 17);
        yield return new Suspect("node-b", 4, "node-a");
        yield return new Dead("node-b", 5, "node-c");
        yield return new StateNotice("node-a", 17, state);
        yield return new Compound([new Ping(1, "node-b", "node-a"), new Alive("node-a", a, 3, 17)]);
        yield return new PushPull(PushPullPhase.Request, true, "node-a",
            [new MemberDigest("node-a", a, 3, MemberStatus.Alive, 17, 17), new MemberDigest("node-b", b, 1, MemberStatus.Suspect, 2, 1)],
            [new StateBlob("node-a", 17, state)]);
        yield return new PushPull(PushPullPhase.Reply, false, "node-b", [new MemberDigest("node-b", b, 1, MemberStatus.Alive, 2, 2, new ProtocolRange(1, 2, 2))],
            [], new ProtocolRange(1, 2, 2));
        yield return new StateRequest("node-b", 9);
        yield return new StateResponse("node-b", 9, state);
        yield return new KeyringNotice("node-a", 2, "node-a", 0, [new byte[32], Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()]);
    }

    public IEnumerable<byte[]> Seeds() => RealMessages().Select(MessageCodec.Encode);

    public void Run(ReadOnlySpan<byte> input)
    {
        try { MessageCodec.Decode(input); }
        catch (GossipDecodeException) { } // MessageGate counts and drops it
    }
}
