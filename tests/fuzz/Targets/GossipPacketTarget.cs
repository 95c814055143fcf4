using AppSwitch.Agent.Cluster;

namespace AppSwitch.Fuzz.Targets;

/// <summary>A UDP gossip datagram as <see cref="UdpTransport"/> hands it on: envelope (cluster name, version,
/// AES-GCM before decryption), then the message. Plain and encrypted gates.</summary>
internal sealed class GossipPacketTarget : IFuzzTarget
{
    public string Name => "gossip-packet";

    public IEnumerable<byte[]> Seeds()
    {
        foreach (var message in GossipMessageTarget.RealMessages())
        {
            var encoded = MessageCodec.Encode(message);
            yield return [0, .. GossipEnvelopes.Plain.Seal(encoded)];
            yield return [1, .. GossipEnvelopes.Encrypted.Seal(encoded)];
        }
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        var (gate, packet) = GossipEnvelopes.Split(input);
        gate.Open(packet, GossipEnvelopes.Peer); // refusals come back as null (counted, logged at a low rate)
    }
}
