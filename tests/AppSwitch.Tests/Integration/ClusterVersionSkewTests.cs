using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 16 point 4, rolling upgrades: a DaemonSet update runs agents of two gossip protocol versions side by side.
/// n3's agent plays the next release (test-only knob AX_GOSSIP_TEST_PROTOCOL_MAX: one version above this build's,
/// and it piggy-backs a message type no build knows on its probes); n1 and n2 are this build.
/// </summary>
public sealed class ClusterVersionSkewTests(ITestOutputHelper output)
{
    private const string Vip = VirtualIps.Server;
    private static readonly string ServiceAddr = $"{Vip}:80";

    [Fact]
    public async Task Agents_of_protocol_N_and_N_plus_1_form_one_cluster_and_replicate_servers_both_ways()
    {
        await using var cluster = await ThreeNodeCluster.StartWithEnvironmentAsync(output,
            member => member == 2 ? ["AX_GOSSIP_TEST_PROTOCOL_MAX=3"] : null);
        await cluster.AwaitAllAliveAsync();

        var root1 = DocumentRoot(cluster.Network.Temp, "a", ("who", "n1"));
        var root3 = DocumentRoot(cluster.Network.Temp, "c", ("who", "n3"));
        var server1 = cluster.Shell(0).StartUnderAx(["--ip", Vip], PythonHttpServer(root1));
        var server3 = cluster.Shell(2).StartUnderAx(["--ip", Vip], PythonHttpServer(root3));
        foreach (var agent in cluster.Agents)
            await Eventually.UntilAsync(async () =>
                    (await cluster.ServersAsync(agent, ServiceAddr)).Select(s => s.NodeId).Distinct().Count() == 2,
                TimeSpan.FromSeconds(15), $"{agent.Node.Name} to list the servers of n1 (protocol N) and n3 (N+1)",
                () => server1.Describe() + "\n" + server3.Describe() + "\n" + cluster.Logs());

        // n3's new message type reaches n1 and n2 inside the datagrams of its probes: counted and skipped alone.
        foreach (var agent in cluster.Agents.Take(2))
            await Eventually.UntilAsync(async () => (await ThreeNodeCluster.StatsAsync(agent)).UnknownMessages > 0,
                TimeSpan.FromSeconds(10), $"{agent.Node.Name} to count n3's unknown message type", () => cluster.Logs());
        foreach (var agent in cluster.Agents)
        {
            var stats = await ThreeNodeCluster.StatsAsync(agent);
            Assert.True(stats.DecodeFailures == 0, $"{agent.Node.Name}: {stats}");
            Assert.DoesNotMatch(ThreeNodeCluster.MembershipTrouble, agent.Output);
        }
        // Logged by whichever of n1/n2 first learns n3's range in a push/pull with n3 itself (the other may learn it
        // from a digest first).
        Assert.Contains(cluster.Agents.Take(2), a =>
            a.Output.Contains("n3 speaks protocol 1..3 (current 3), this node 1..2 (current 2): version 2 between them"));
        Assert.Contains("Test knob AX_GOSSIP_TEST_PROTOCOL_MAX", cluster.Agents[2].Output);
        await cluster.AwaitAllAliveAsync();
        output.WriteLine($"n1 stats: {await ThreeNodeCluster.StatsAsync(cluster.Agents[0])}");
    }
}
