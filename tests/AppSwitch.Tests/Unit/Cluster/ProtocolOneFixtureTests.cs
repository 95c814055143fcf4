using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>
/// A rolling update has agents of the previous release (protocol 1: no version range in push/pull, commit fbf99a7)
/// next to this build. Fixtures/Protocol1 holds what a real agent of that release sent to one of this build (clear
/// text, the default; recorded by capture.sh, split by extract.py — see the README there): every UDP datagram, its
/// push/pull request, reply and final frames and a state request. This build must take them, and answer in a form
/// that release accepts. The previous release's decoder (MessageCodec.Decode at fbf99a7) read message types up to
/// KeyringNotice with the protocol-1 fields only and then required the input to end (`reader.End()`): so it
/// accepts exactly the messages this build decodes without any protocol-2 part and re-encodes to the same bytes
/// (<see cref="ProtocolOneAccepts"/>). That rule is checked against the real binary's verdicts too: the frame it
/// refused (a request with the range) fails it, the frames it took pass it.
/// </summary>
[Collection(ClusterCollection.Name)]
public class ProtocolOneFixtureTests(ITestOutputHelper output)
{
    private const string Cluster = "axtest"; // the capture's --cluster
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Every_datagram_of_the_previous_release_decodes_to_a_message_of_its_format()
    {
        var types = new Dictionary<MessageType, int>();
        var datagrams = Datagrams(Fixture("udp-from-old.bin"));
        Assert.True(datagrams.Count > 50, $"the fixture holds {datagrams.Count} datagrams");
        foreach (var datagram in datagrams)
        {
            var message = Open(datagram, out var body);
            Assert.True(ProtocolOneAccepts(message, body), $"{message} does not read back as the previous release wrote it");
            foreach (var part in message is Compound c ? c.Parts : [message]) types[part.Type] = types.GetValueOrDefault(part.Type) + 1;
        }
        output.WriteLine(string.Join(", ", types.OrderBy(t => t.Key).Select(t => $"{t.Key} {t.Value}")));
        // The capture covers the failure detector and the dissemination: pings, acks, alive and state notices.
        Assert.Contains(MessageType.Ping, types.Keys);
        Assert.Contains(MessageType.Ack, types.Keys);
        Assert.Contains(MessageType.Alive, types.Keys);
    }

    [Fact]
    public void The_rule_for_what_the_previous_release_accepts_agrees_with_the_real_binary()
    {
        // Refused by the real old agent (it closed the connection): this build's request with its range appended.
        var refused = Open(Frames(Fixture("pushpull-new-request-with-range-refused-by-old.bin")).Single(), out var refusedBody);
        Assert.IsType<PushPull>(refused);
        Assert.False(ProtocolOneAccepts(refused, refusedBody));
        // Taken by the real old agent: the retry without the range, its final frame, the reply to its own request, a state.
        foreach (var name in new[] { "pushpull-new-retry-request-and-final.bin", "pushpull-new-reply-to-old.bin", "state-response-from-new.bin" })
            foreach (var frame in Frames(Fixture(name)))
                Assert.True(ProtocolOneAccepts(Open(frame, out var body), body), $"{name}: a frame the old agent took fails the rule");
    }

    [Fact]
    public async Task A_push_pull_from_the_previous_release_is_answered_in_its_format_and_merged()
    {
        await using var node = await StartNodeAsync();
        var frames = Frames(Fixture("pushpull-old-request-and-final.bin"));
        var request = Assert.IsType<PushPull>(Open(frames[0], out _));
        Assert.Null(request.Versions);

        using var socket = await ConnectAsync(node);
        await SendFrameAsync(socket, frames[0]);
        var replyFrame = await ReadFrameAsync(socket);
        var reply = Assert.IsType<PushPull>(Open(replyFrame, out var replyBody));
        Assert.Equal(PushPullPhase.Reply, reply.Phase);
        Assert.True(ProtocolOneAccepts(reply, replyBody), $"the reply {Convert.ToHexString(replyBody)} is not in the previous release's format");
        await SendFrameAsync(socket, frames[1]);

        // Merged: the sender is a member (its probes then go to the capture's address, dropped here: not its status).
        await Eventually.UntilAsync(() => node.Member(request.Sender) is not null, Timeout, $"{request.Sender} (previous release) listed");
        Assert.Equal(0, node.Counters.DecodeFailures);
    }

    [Fact]
    public async Task A_state_request_from_the_previous_release_is_answered_in_its_format()
    {
        await using var node = await StartNodeAsync();
        node.SetLocalState("this build's state"u8.ToArray());
        var frame = Frames(Fixture("state-request-from-old.bin")).Single();
        Assert.Equal(node.Name, Assert.IsType<StateRequest>(Open(frame, out _)).Node);

        using var socket = await ConnectAsync(node);
        await SendFrameAsync(socket, frame);
        var response = Open(await ReadFrameAsync(socket), out var body);
        var state = Assert.IsType<StateResponse>(response);
        Assert.Equal("this build's state"u8.ToArray(), state.State);
        Assert.True(ProtocolOneAccepts(response, body));
    }

    [Fact]
    public async Task Joining_through_a_member_of_the_previous_release_falls_back_to_its_format()
    {
        await using var node = await StartNodeAsync();
        var oldReply = Frames(Fixture("pushpull-old-reply.bin")).Single();
        var oldName = Assert.IsType<PushPull>(Open(oldReply, out _)).Sender;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var verdicts = new List<bool>();
        // The previous release's side of the exchange: a frame it cannot read closes the connection; one it can is
        // answered with the reply that release really sent, and the final frame is read.
        var oldPeer = Task.Run(async () =>
        {
            while (true)
            {
                using var socket = await listener.AcceptSocketAsync();
                var request = await ReadFrameAsync(socket);
                var accepted = ProtocolOneAccepts(Open(request, out var body), body);
                lock (verdicts) verdicts.Add(accepted);
                if (!accepted) continue;
                await SendFrameAsync(socket, oldReply);
                var final = await ReadFrameAsync(socket);
                Assert.True(ProtocolOneAccepts(Open(final, out var finalBody), finalBody), "the final frame is not in the previous release's format");
                return;
            }
        });

        using var cancel = new CancellationTokenSource(Timeout);
        Assert.Equal(1, await node.JoinAsync([$"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"], cancel.Token));
        await oldPeer.WaitAsync(Timeout);
        output.WriteLine($"the old peer's verdicts on this build's requests: {string.Join(", ", verdicts)}");
        Assert.Equal([false, true], verdicts); // the range refused once, then the previous release's format
        Assert.NotNull(node.Member(oldName));
    }

    // ---- the previous release's rule -----------------------------------------------------------------------

    /// <summary>
    /// True when the protocol-1 decoder would take <paramref name="body"/>: a type it knew, no field appended since
    /// (IndirectPing's nack flag, push/pull ranges), and the bytes are exactly the message (it refused trailing bytes).
    /// </summary>
    private static bool ProtocolOneAccepts(GossipMessage message, byte[] body) =>
        IsProtocolOne(message) && MessageCodec.Encode(message).AsSpan().SequenceEqual(body);

    private static bool IsProtocolOne(GossipMessage message) => message switch
    {
        Compound c => c.Parts.All(IsProtocolOne),
        UnknownMessage or Nack => false,
        IndirectPing p => !p.WantsNack,
        PushPull p => p.Versions is null && p.Members.All(m => m.Protocol is null),
        _ => (int)message.Type <= (int)MessageType.KeyringNotice,
    };

    // ---- fixtures and frames --------------------------------------------------------------------------------

    private static byte[] Fixture(string name) =>
        File.ReadAllBytes(Path.Combine(RepoLayout.RepoRoot, "tests", "AppSwitch.Tests", "Unit", "Cluster", "Fixtures", "Protocol1", name));

    /// <summary>udp-from-old.bin: each datagram behind its big-endian u16 length.</summary>
    private static List<byte[]> Datagrams(byte[] file)
    {
        var list = new List<byte[]>();
        for (int at = 0; at < file.Length;)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(at));
            list.Add(file.AsSpan(at + 2, length).ToArray());
            at += 2 + length;
        }
        return list;
    }

    /// <summary>A TCP stream's frames ([u32 length][envelope]), as StreamTransport writes them.</summary>
    private static List<byte[]> Frames(byte[] stream)
    {
        var list = new List<byte[]>();
        for (int at = 0; at < stream.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(stream.AsSpan(at));
            list.Add(stream.AsSpan(at + 4, length).ToArray());
            at += 4 + length;
        }
        return list;
    }

    /// <summary>Opens a clear-text envelope of the capture's cluster and decodes it with this build's codec.</summary>
    private static GossipMessage Open(byte[] envelope, out byte[] body)
    {
        using var opener = new PacketEnvelope(Cluster, null);
        Assert.Equal(OpenStatus.Ok, opener.Open(envelope, out var message, out _));
        body = message.ToArray();
        return MessageCodec.Decode(body);
    }

    /// <summary>A node of this build named as the capture's (new1), on loopback; it sends nothing beyond loopback
    /// (the fixtures name the capture's addresses, 10.88.0.x).</summary>
    private static Task<GossipNode> StartNodeAsync()
    {
        var options = TestCluster.FastOptions("new1", Cluster);
        options.DropPacket = (direction, peer) => direction == PacketDirection.Outbound && !IPAddress.IsLoopback(peer.Address);
        return GossipNode.StartAsync(options);
    }

    private static async Task<Socket> ConnectAsync(GossipNode node)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, node.BoundPort));
        return socket;
    }

    private static async Task SendFrameAsync(Socket socket, byte[] envelope)
    {
        var frame = new byte[4 + envelope.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)envelope.Length);
        envelope.CopyTo(frame, 4);
        await socket.SendAsync(frame);
    }

    private static async Task<byte[]> ReadFrameAsync(Socket socket)
    {
        var header = await ReadExactAsync(socket, 4);
        return await ReadExactAsync(socket, (int)BinaryPrimitives.ReadUInt32BigEndian(header));
    }

    private static async Task<byte[]> ReadExactAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var cancel = new CancellationTokenSource(Timeout);
        for (int read = 0; read < count;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancel.Token);
            if (n == 0) throw new IOException("connection closed");
            read += n;
        }
        return buffer;
    }
}
