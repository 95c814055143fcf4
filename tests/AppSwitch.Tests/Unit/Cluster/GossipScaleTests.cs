using System.Diagnostics;
using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Unit.Cluster;

[Collection(ClusterCollection.Name)]
public class GossipScaleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FiftyMembersInOneProcessConverge()
    {
        const int n = 50;
        await using var cluster = new TestCluster();
        var members = new List<TestMember>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            var m = await cluster.StartAsync($"node-{i:D2}");
            // Each joins through a random earlier member, the first through nobody.
            if (i > 0) Assert.Equal(1, await m.Node.JoinAsync([members[Random.Shared.Next(members.Count)].Address]));
            members.Add(m);
        }
        output.WriteLine($"{n} started and joined in {clock.ElapsedMilliseconds} ms");
        var took = await Eventually.UntilAsync(() => members.All(m => m.AliveCount == n), TimeSpan.FromSeconds(30),
            $"all {n} to see {n} alive", () => string.Join("\n", members.Select(m => $"{m.Name}: {m.AliveCount} alive")));
        output.WriteLine($"membership converged {took.TotalMilliseconds:F0} ms after the last join");

        var state = "apps: 10 servers: 20"u8.ToArray();
        clock.Restart();
        members[7].Node.SetLocalState(state);
        took = await Eventually.UntilAsync(() => members.All(m => m.View("node-07")!.StateVersion == 1), TimeSpan.FromSeconds(20),
            "the state to reach all");
        output.WriteLine($"a new state reached all {n} in {took.TotalMilliseconds:F0} ms");

        await cluster.CrashAsync(members[13]);
        var rest = members.Where(m => m.Name != "node-13").ToList();
        took = await Eventually.UntilAsync(() => rest.All(m => m.View("node-13")!.Status == MemberStatus.Dead), TimeSpan.FromSeconds(20),
            "all to see the crashed member dead", () => string.Join("\n", rest.Select(m => $"{m.Name}: {m.View("node-13")}")));
        output.WriteLine($"a crash was seen as dead by all {n - 1} in {took.TotalMilliseconds:F0} ms");
        Assert.All(rest, m => Assert.Equal(n - 1, m.AliveCount));
        long bytes = rest.Sum(m => m.Node.Counters.BytesSent);
        output.WriteLine($"sent {bytes / rest.Count} bytes per member so far; decode/auth failures: {rest.Sum(m => m.Node.Counters.DecodeFailures + m.Node.Counters.AuthFailures)}");
    }
}
