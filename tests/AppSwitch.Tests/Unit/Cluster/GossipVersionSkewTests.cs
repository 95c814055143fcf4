using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>
/// Rolling upgrades: members of this build and of the next protocol version (played by a node whose range is one
/// above this build's, sending a message type no build knows yet) form one cluster; ranges without a common
/// version refuse each other.
/// </summary>
[Collection(ClusterCollection.Name)]
public class GossipVersionSkewTests(ITestOutputHelper output)
{
    private static readonly ProtocolRange NextRelease = ProtocolVersions.Supported with
    {
        Max = (byte)(ProtocolVersions.Supported.Max + 1),
        Current = (byte)(ProtocolVersions.Supported.Max + 1),
    };

    [Fact]
    public async Task MembersOfVersionNAndNPlus1FormOneClusterAndReplicateBothWays()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartAsync("a");
        var newer = TestCluster.FastOptions("b");
        newer.Protocol = NextRelease;
        var b = await cluster.StartAsync(newer);
        var c = await cluster.StartAsync("c");
        Assert.Equal(1, await b.Node.JoinAsync([a.Address]));
        Assert.Equal(1, await c.Node.JoinAsync([b.Address]));
        var all = new[] { a, b, c };
        await Eventually.UntilAsync(() => all.All(m => m.AliveCount == 3), TestCluster.Deadline, "all three to see 3 alive",
            () => TestCluster.Describe(all));

        a.Node.SetLocalState("from a"u8.ToArray());
        b.Node.SetLocalState("from b"u8.ToArray());
        await Eventually.UntilAsync(() => c.View("b")?.State.ToArray() is [.. var s] && s.SequenceEqual("from b"u8.ToArray())
                                          && b.View("a")?.State.ToArray() is [.. var t] && t.SequenceEqual("from a"u8.ToArray()),
            TestCluster.Deadline, "the states of a (N) and b (N+1) to reach the others", () => TestCluster.Describe(all));
        // b's probes carry the unknown type in the same datagram as the ping: skipped alone, the pings answered.
        await Eventually.UntilAsync(() => a.Node.Counters.UnknownMessages > 0 && c.Node.Counters.UnknownMessages > 0,
            TestCluster.Deadline, "a and c to receive b's new message type", () => TestCluster.Describe(all));
        Assert.All(all, m => Assert.Equal(0, m.Node.Counters.DecodeFailures));
        Assert.All(all, m => Assert.DoesNotContain(m.Events, e => e.Kind is MemberEventKind.Suspect or MemberEventKind.Dead));
        output.WriteLine(TestCluster.Describe(all));
    }

    [Fact]
    public async Task RangesWithoutACommonVersionRefuseEachOther()
    {
        await using var cluster = new TestCluster();
        var pinned = TestCluster.FastOptions("a");
        pinned.Protocol = new ProtocolRange(2, 2, 2);
        var a = await cluster.StartAsync(pinned);
        var old = TestCluster.FastOptions("b");
        old.Protocol = ProtocolVersions.Legacy;
        var b = await cluster.StartAsync(old);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.Node.JoinAsync([a.Address], giveUp.Token));
        Assert.Null(a.View("b"));
        Assert.Null(b.View("a"));
    }
}
