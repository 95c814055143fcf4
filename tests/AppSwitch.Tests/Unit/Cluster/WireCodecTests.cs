using System.Net;
using AppSwitch.Agent.Cluster;
using Xunit;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>Round trips, and the decoders' promise: garbage or truncation ends in a decode error, never anything else.</summary>
public class WireCodecTests
{
    private static readonly IPEndPoint V4 = new(IPAddress.Parse("10.77.0.3"), 7946);
    private static readonly IPEndPoint V6 = new(IPAddress.Parse("fd00::7"), 40000);

    internal static IEnumerable<GossipMessage> Samples()
    {
        yield return new Ping(42, "node-b", "node-a");
        yield return new IndirectPing(ulong.MaxValue, "node-c", V6, "node-ä");
        yield return new IndirectPing(5, "node-c", V4, "node-a", WantsNack: true);
        yield return new Ack(7);
        yield return new Nack(8);
        yield return new Alive("node-a", V4, 3, 9);
        yield return new Suspect("node-b", 4, "node-a");
        yield return new Dead("node-b", 5, "node-b");
        yield return new StateNotice("node-a", 12, [1, 2, 3]);
        yield return new StateNotice("node-a", 13, null);
        yield return new Compound([new Ping(1, "b", "a"), new Alive("c", V4, 1, 0), new StateNotice("a", 2, new byte[100])]);
        yield return new PushPull(PushPullPhase.Request, true, "node-a",
            [new MemberDigest("node-a", V4, 1, MemberStatus.Alive, 2, 2), new MemberDigest("node-b", V6, 9, MemberStatus.Left, 0, 0)], []);
        yield return new PushPull(PushPullPhase.Reply, false, "node-b", [], [new StateBlob("node-b", 4, new byte[3000]), new StateBlob("x", 1, [])]);
        yield return new PushPull(PushPullPhase.Request, false, "node-a",
            [new MemberDigest("node-a", V4, 1, MemberStatus.Alive, 2, 2, new ProtocolRange(1, 2, 2)), new MemberDigest("node-b", V6, 9, MemberStatus.Alive, 0, 0)],
            [], new ProtocolRange(1, 3, 3));
        yield return new StateRequest("node-c", 77);
        yield return new StateResponse("node-c", 78, [9, 9]);
        yield return new StateResponse("node-c", 0, null);
        yield return new KeyringNotice("node-a", 3, "node-b", 1, [new byte[32], Enumerable.Repeat((byte)7, 16).ToArray()]);
    }

    private static void AssertDecodesOrRejects(ReadOnlySpan<byte> bytes)
    {
        try { MessageCodec.Decode(bytes); }
        catch (GossipDecodeException) { }
        // Any other exception escapes and fails the test.
    }

    [Fact]
    public void EveryMessageTypeSurvivesARoundTrip()
    {
        foreach (var message in Samples())
        {
            var bytes = MessageCodec.Encode(message);
            var decoded = MessageCodec.Decode(bytes);
            Assert.Equal(message.GetType(), decoded.GetType());
            Assert.Equal(bytes, MessageCodec.Encode(decoded));
        }
        var alive = Assert.IsType<Alive>(MessageCodec.Decode(MessageCodec.Encode(new Alive("n", V6, 2, 3))));
        Assert.Equal(V6, alive.Address);
    }

    /// <summary>
    /// A truncation is a decode error unless it ends exactly where an older protocol's message ended (before the
    /// fields protocol 2 appended): then it decodes to the message that encodes to exactly those bytes.
    /// </summary>
    [Fact]
    public void EveryTruncationIsADecodeErrorOrTheOlderFormOfTheMessage()
    {
        int olderForms = 0;
        foreach (var message in Samples())
        {
            var bytes = MessageCodec.Encode(message);
            for (int length = 0; length < bytes.Length; length++)
            {
                GossipMessage decoded;
                try { decoded = MessageCodec.Decode(bytes.AsSpan(0, length)); }
                catch (GossipDecodeException) { continue; }
                Assert.Equal(bytes[..length], MessageCodec.Encode(decoded));
                olderForms++;
            }
        }
        // The nack flag of an indirect ping and the ranges of a push/pull: one older form each.
        Assert.Equal(2, olderForms);
    }

    [Fact]
    public void FieldsAppendedByANewerPeerAreIgnored()
    {
        foreach (var message in Samples().Where(m => m is not IndirectPing and not PushPull))
        {
            var bytes = MessageCodec.Encode(message);
            Assert.Equal(bytes, MessageCodec.Encode(MessageCodec.Decode([.. bytes, 1, 2, 3])));
        }
        var withRanges = MessageCodec.Encode(Samples().OfType<PushPull>().Last());
        var decoded = Assert.IsType<PushPull>(MessageCodec.Decode([.. withRanges, 0xEE]));
        Assert.Equal(new ProtocolRange(1, 3, 3), decoded.Versions);
        Assert.Equal([new ProtocolRange(1, 2, 2), null], decoded.Members.Select(m => m.Protocol));
    }

    [Fact]
    public void ATypeNewerThanThisBuildIsSkippedAloneNotWithTheRestOfTheDatagram()
    {
        byte next = (byte)(MessageTypes.Newest + 1);
        var unknown = Assert.IsType<UnknownMessage>(MessageCodec.Decode([next, 1, 2]));
        Assert.Equal(next, unknown.Code);
        var compound = MessageCodec.Encode(new Compound([new Ping(1, "b", "a"), new UnknownMessage(next, [9, 9, 9]), new Alive("c", V4, 1, 0)]));
        var parts = Assert.IsType<Compound>(MessageCodec.Decode(compound)).Parts;
        Assert.Equal([typeof(Ping), typeof(UnknownMessage), typeof(Alive)], parts.Select(p => p.GetType()));
        Assert.Throws<GossipDecodeException>(() => MessageCodec.Decode([0, 1, 2])); // 0 was never a type
    }

    [Fact]
    public void APushPullWithAnInvalidRangeOrMismatchedCountIsRefused()
    {
        var bytes = MessageCodec.Encode(Samples().OfType<PushPull>().Last());
        var badRange = (byte[])bytes.Clone();
        int rangesAt = bytes.Length - 3 * 2 - 4 - 3;
        badRange[rangesAt] = 3; // the sender's range becomes min 3 > current 2
        badRange[rangesAt + 2] = 2;
        Assert.Throws<GossipDecodeException>(() => MessageCodec.Decode(badRange));
        var badCount = (byte[])bytes.Clone();
        badCount[rangesAt + 3 + 3] = 1; // one range for two members
        Assert.Throws<GossipDecodeException>(() => MessageCodec.Decode(badCount));
    }

    [Theory]
    [InlineData(1, 2, 2, 1, 2, 2, 2)]
    [InlineData(1, 2, 2, 1, 3, 3, 2)]
    [InlineData(1, 2, 2, 1, 1, 1, 1)]
    [InlineData(2, 3, 3, 1, 1, 1, 0)] // no common version
    [InlineData(1, 2, 1, 1, 3, 3, 1)] // pinned to 1 during an upgrade
    public void TwoRangesSpeakTheHighestVersionBothPrefer(int min1, int max1, int cur1, int min2, int max2, int cur2, int expected)
    {
        var common = ProtocolVersions.Common(new((byte)min1, (byte)max1, (byte)cur1), new((byte)min2, (byte)max2, (byte)cur2));
        Assert.Equal(expected == 0 ? null : (byte?)expected, common);
    }

    [Fact]
    public void RandomBytesAndMutationsNeverThrowAnythingButADecodeError()
    {
        var random = new Random(4242);
        for (int i = 0; i < 20000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (bytes.Length > 0) bytes[0] = (byte)random.Next(0, 13); // mostly known types, to get past the first byte
            AssertDecodesOrRejects(bytes);
        }
        var samples = Samples().Select(MessageCodec.Encode).ToList();
        for (int i = 0; i < 20000; i++)
        {
            var bytes = (byte[])samples[random.Next(samples.Count)].Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            AssertDecodesOrRejects(bytes);
        }
    }

    [Fact]
    public void CountsAndLengthsBeyondTheInputAreRefusedBeforeAllocating()
    {
        // A push/pull claiming 100000 members in a few bytes.
        byte[] bytes = [(byte)MessageType.PushPull, 1, 0, 1, (byte)'a', 0x00, 0x01, 0x86, 0xA0];
        Assert.Throws<GossipDecodeException>(() => MessageCodec.Decode(bytes));
        // A state notice claiming a 4 GB blob.
        byte[] notice = [(byte)MessageType.StateNotice, 1, (byte)'a', 0, 0, 0, 0, 0, 0, 0, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Throws<GossipDecodeException>(() => MessageCodec.Decode(notice));
    }

    [Fact]
    public void TheEnvelopeChecksVersionClusterAndKey()
    {
        var key = new byte[32];
        new Random(1).NextBytes(key);
        var otherKey = (byte[])key.Clone();
        otherKey[0] ^= 1;
        var message = MessageCodec.Encode(new Ack(5));
        using var plain = new PacketEnvelope("test", null);
        using var sealedEnvelope = new PacketEnvelope("test", key);
        using var otherCluster = new PacketEnvelope("other", key);
        using var wrongKey = new PacketEnvelope("test", otherKey);

        Assert.Equal(OpenStatus.Ok, plain.Open(plain.Seal(message), out var opened, out _));
        Assert.Equal(message, opened.ToArray());
        var encrypted = sealedEnvelope.Seal(message);
        Assert.Equal(sealedEnvelope.Overhead + message.Length, encrypted.Length);
        Assert.Equal(OpenStatus.Ok, sealedEnvelope.Open(encrypted, out opened, out _));
        Assert.Equal(message, opened.ToArray());
        Assert.NotEqual(encrypted, sealedEnvelope.Seal(message)); // a fresh nonce each time

        Assert.Equal(OpenStatus.AuthFailed, wrongKey.Open(encrypted, out _, out _));
        Assert.Equal(OpenStatus.KeyMissing, plain.Open(encrypted, out _, out _));
        Assert.Equal(OpenStatus.NotEncrypted, sealedEnvelope.Open(plain.Seal(message), out _, out _));
        Assert.Equal(OpenStatus.WrongCluster, sealedEnvelope.Open(otherCluster.Seal(message), out _, out var foreign));
        Assert.Equal("other", foreign);
        var future = plain.Seal(message);
        future[0] = 2;
        Assert.Equal(OpenStatus.UnsupportedVersion, plain.Open(future, out _, out _));

        for (int i = 0; i < encrypted.Length; i++)
        {
            var tampered = (byte[])encrypted.Clone();
            tampered[i] ^= 0x40;
            Assert.NotEqual(OpenStatus.Ok, sealedEnvelope.Open(tampered, out _, out _));
        }
    }

    [Fact]
    public void TheEnvelopeNeverThrowsOnGarbage()
    {
        var random = new Random(77);
        var key = new byte[32];
        using var plain = new PacketEnvelope("test", null);
        using var sealedEnvelope = new PacketEnvelope("test", key);
        for (int i = 0; i < 20000; i++)
        {
            var bytes = new byte[random.Next(0, 120)];
            random.NextBytes(bytes);
            if (bytes.Length > 1) { bytes[0] = 1; bytes[1] = (byte)random.Next(0, 3); }
            plain.Open(bytes, out _, out _);
            sealedEnvelope.Open(bytes, out _, out _);
        }
    }

    [Fact]
    public void TheGateCountsWhatItRefuses()
    {
        var counters = new GossipCounters();
        using var gate = new MessageGate(new PacketEnvelope("test", null), counters, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var from = new IPEndPoint(IPAddress.Loopback, 1);
        using var other = new PacketEnvelope("other", null);
        Assert.Null(gate.Open(other.Seal(MessageCodec.Encode(new Ack(1))), from));
        Assert.Null(gate.Open(new byte[] { 1, 0, 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0 }, from));
        // A type above this build's newest is a newer peer's, not garbage: handed on to be counted and skipped.
        Assert.IsType<UnknownMessage>(gate.Open(new byte[] { 1, 0, 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 99 }, from));
        Assert.Null(gate.Open(new PacketEnvelope("test", new byte[32]).Seal(MessageCodec.Encode(new Ack(1))), from));
        Assert.IsType<Ack>(gate.Open(gate.Seal(MessageCodec.Encode(new Ack(1))), from));
        Assert.Equal(1, counters.WrongCluster);
        Assert.Equal(1, counters.DecodeFailures);
        Assert.Equal(1, counters.AuthFailures);
    }
}
