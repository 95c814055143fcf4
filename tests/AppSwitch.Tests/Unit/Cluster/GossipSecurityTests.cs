using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Unit.Cluster;

[Collection(ClusterCollection.Name)]
public class GossipSecurityTests
{
    private static readonly TimeSpan Deadline = TestCluster.Deadline;

    private static byte[] Key(int seed)
    {
        var key = new byte[32];
        new Random(seed).NextBytes(key);
        return key;
    }

    /// <summary>Sends one datagram claiming a new member, sealed as the intruder would.</summary>
    private static async Task InjectAliveAsync(TestMember target, string cluster, byte[]? key, string intruder)
    {
        using var envelope = new PacketEnvelope(cluster, key);
        var packet = envelope.Seal(MessageCodec.Encode(new Alive(intruder, new IPEndPoint(IPAddress.Loopback, 9), 99, 0)));
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        await udp.SendAsync(packet, new IPEndPoint(IPAddress.Loopback, target.Node.BoundPort));
    }

    /// <summary>The outsider's join is refused (seen by <paramref name="refused"/>, eventually) and never completes:
    /// it is still retrying when cancelled.</summary>
    private static async Task AssertJoinRefusedAsync(TestMember outsider, TestMember target, Func<bool> refused, string what)
    {
        using var give = new CancellationTokenSource();
        var join = outsider.Node.JoinAsync([target.Address], give.Token);
        await Eventually.UntilAsync(refused, Deadline, what, () => target.Node.Counters.ToString());
        give.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => join);
    }

    [Fact]
    public async Task ANodeOfAnotherClusterIsRefused()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartAsync("a");
        var stranger = await cluster.StartAsync(TestCluster.FastOptions("stranger", cluster: "elsewhere"));
        await AssertJoinRefusedAsync(stranger, a, () => a.Node.Counters.WrongCluster >= 1, "the stranger's join counted as another cluster's");

        var wrongCluster = a.Node.Counters.WrongCluster;
        await InjectAliveAsync(a, "elsewhere", null, "intruder");
        await Eventually.UntilAsync(() => a.Node.Counters.WrongCluster > wrongCluster, Deadline, "the datagram refused");
        Assert.Null(a.View("stranger"));
        Assert.Null(a.View("intruder"));
        Assert.Single(stranger.Node.Members());
    }

    [Fact]
    public async Task AnEncryptedClusterRefusesAndCountsWrongAndMissingKeys()
    {
        await using var cluster = new TestCluster();
        var key = Key(1);
        var a = await cluster.StartAsync(TestCluster.FastOptions("a", key: key));
        var b = await cluster.StartAsync(TestCluster.FastOptions("b", key: key));
        Assert.Equal(1, await b.Node.JoinAsync([a.Address]));
        b.Node.SetLocalState("secret"u8.ToArray());
        await Eventually.UntilAsync(() => a.AliveCount == 2 && b.AliveCount == 2 && a.View("b")!.StateVersion == 1, Deadline,
            "the encrypted pair to work");

        var wrongKey = await cluster.StartAsync(TestCluster.FastOptions("wrong-key", key: Key(2)));
        var noKey = await cluster.StartAsync(TestCluster.FastOptions("no-key"));
        foreach (var outsider in new[] { wrongKey, noKey })
        {
            var before = a.Node.Counters.AuthFailures;
            await AssertJoinRefusedAsync(outsider, a, () => a.Node.Counters.AuthFailures > before, $"{outsider.Name}'s join counted as an auth failure");
            Assert.Single(outsider.Node.Members());
        }
        // a never answers a node it refused: the keyless one received nothing at all (an encrypted answer would count
        // there as an auth failure, a plain one would be a member).
        Assert.True(noKey.Node.Counters.MessagesReceived == 0, noKey.Node.Counters.ToString());
        long failures = a.Node.Counters.AuthFailures;

        await InjectAliveAsync(a, "test", null, "intruder-plain");
        await InjectAliveAsync(a, "test", Key(3), "intruder-sealed");
        await Eventually.UntilAsync(() => a.Node.Counters.AuthFailures >= failures + 2, Deadline, "both datagrams refused");
        Assert.All(new[] { "wrong-key", "no-key", "intruder-plain", "intruder-sealed" }, name => Assert.Null(a.View(name)));
        Assert.Equal(2, a.Node.Members().Count);
        Assert.Equal(0, a.Node.Counters.DecodeFailures);
    }
}
