using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>
/// Lifeguard's local health awareness and nacks on real nodes: a member that fails probes because the target is
/// gone hears the helpers' nacks and keeps its health; a member cut off itself hears nothing and its score rises
/// (its probes wait longer), and falls back once its probes are answered again.
/// </summary>
[Collection(ClusterCollection.Name)]
public class GossipLifeguardTests(ITestOutputHelper output)
{
    [Fact]
    public void TheScoreStaysWithinItsBoundsAndStretchesTimeouts()
    {
        var health = new LocalHealth(maxMultiplier: 3);
        Assert.Equal((0, 0), health.Apply(-1));
        Assert.Equal((0, 2), health.Apply(5));
        Assert.Equal(TimeSpan.FromSeconds(3), health.Scale(TimeSpan.FromSeconds(1)));
        Assert.Equal((2, 1), health.Apply(-1));
        var off = new LocalHealth(maxMultiplier: 1);
        Assert.Equal((0, 0), off.Apply(3));
        Assert.Equal(TimeSpan.FromSeconds(1), off.Scale(TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProbesOfADeadMemberAreNackedByHelpersThatSpeakProtocol2(bool nacks)
    {
        await using var cluster = new TestCluster();
        // Probe every 500 ms, ping-req after 150 ms: room for the helper's nack on a busy machine.
        var members = new List<TestMember>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var options = TestCluster.FastOptions(name);
            (options.ProbeInterval, options.ProbeTimeout) = (TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(150));
            if (!nacks && name == "b") options.Protocol = ProtocolVersions.Legacy; // a protocol-1 helper is never asked
            members.Add(await cluster.StartAsync(options));
            if (members.Count > 1) Assert.Equal(1, await members[^1].Node.JoinAsync([members[0].Address]));
        }
        await Eventually.UntilAsync(() => members.All(m => m.AliveCount == 3), TestCluster.Deadline, "3 members to see each other");
        var (a, b) = (members[0], members[1]);
        await cluster.CrashAsync(members[2]);
        int worst = 0;
        await Eventually.UntilAsync(() =>
        {
            worst = Math.Max(worst, Math.Max(a.Node.LocalHealthScore, b.Node.LocalHealthScore));
            return a.View("c")?.Status == MemberStatus.Dead && b.View("c")?.Status == MemberStatus.Dead;
        }, TestCluster.Deadline, "a and b to declare c dead", () => TestCluster.Describe([a, b]));
        output.WriteLine($"nacks {nacks}: worst local health score while c was probed to death: {worst}; " +
                         $"nacks received by a {a.Node.Counters.NacksReceived}, by b {b.Node.Counters.NacksReceived}");
        if (nacks)
            Assert.True(a.Node.Counters.NacksReceived > 0 && b.Node.Counters.NacksReceived > 0, TestCluster.Describe([a, b]));
        else
        {
            Assert.Equal(0, a.Node.Counters.NacksReceived + b.Node.Counters.NacksReceived);
            Assert.True(worst >= 1, "without nacks, failed probes must count against the prober's own health");
        }
    }

    [Fact]
    public async Task AMemberCutOffItselfRaisesItsScoreAndRecoversWhenAnswersComeBack()
    {
        await using var cluster = new TestCluster();
        var members = await cluster.StartJoinedAsync("a", "b", "c");
        var a = members[0];
        a.Isolated = true;
        await Eventually.UntilAsync(() => a.Node.LocalHealthScore >= 2, TestCluster.Deadline, "a's score to rise without acks or nacks",
            () => TestCluster.Describe(members));
        a.Isolated = false;
        await Eventually.UntilAsync(() => a.Node.LocalHealthScore == 0 && members.All(m => m.AliveCount == 3), TestCluster.Deadline,
            "a's score to fall back to 0 and all to be alive", () => TestCluster.Describe(members));
    }
}
