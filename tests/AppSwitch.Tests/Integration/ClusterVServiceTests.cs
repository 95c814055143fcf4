using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>A vservice is created on one node and used from another; only its owner may delete it; it goes with its node.</summary>
public sealed class ClusterVServiceTests(ITestOutputHelper output)
{
    private const string Vip = "198.18.9.1";

    [Fact]
    public async Task A_vservice_created_on_node_1_balances_backends_on_two_nodes_for_a_client_on_node_2()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        // Backends on n1 (198.18.1.1) and n3 (198.18.1.3).
        var servers = new Dictionary<int, RunningProcess>();
        foreach (var (index, ip) in new[] { (0, "198.18.1.1"), (2, "198.18.1.3") })
        {
            var root = DocumentRoot(cluster.Network.Temp, $"www{index}", ("index.html", $"from {ip}"));
            var server = servers[index] = cluster.Shell(index).StartUnderAx(["--ip", ip], PythonHttpServer(root));
            await cluster.Shell(index).WaitForServerAsync($"{ip}:80", server: server);
            await cluster.Shell(1).WaitForServerAsync($"{ip}:80", TimeSpan.FromSeconds(10));
        }

        var created = await cluster.Shell(0).AxAsync("create", "vservice", "--ip", Vip, "--backends", "198.18.1.1,198.18.1.3",
            "--ports", "80:80", "--lbtype", "RoundRobin", "web");
        Assert.True(created.ExitCode == 0, created.Describe());

        // The client on n2 learns the vservice by gossip, then round robin alternates over both nodes.
        CommandResult? fetch = null;
        await Eventually.UntilAsync(async () =>
        {
            fetch = await cluster.Shell(1).RunUnderAxAsync([], ["bash", "-c", $"set -e; for i in 1 2 3 4; do curl -sS http://{Vip}/; echo; done"]);
            return fetch.ExitCode == 0;
        }, TimeSpan.FromSeconds(10), "n2 to reach the vservice created on n1", () => fetch?.Describe() + cluster.Logs());
        var bodies = fetch!.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(bodies.Count(b => b == "from 198.18.1.1") == 2, fetch.Describe());
        Assert.Equal(2, bodies.Count(b => b == "from 198.18.1.3"));

        // Only the owner deletes it.
        var foreign = await cluster.Shell(1).AxAsync("delete", "vservice", "web");
        Assert.True(foreign.ExitCode == 1 && foreign.StdErr.Contains("n1"), foreign.Describe());

        // The owner node's death — its agent and its app (which lives in a namespace of its own, so killing the
        // node namespace's processes would miss it). With only the agent gone, the app would wait in its trapped
        // calls for a new agent, as a restart expects.
        await cluster.Agents[0].KillAsync();
        servers[0].Signal(9);
        await Eventually.UntilAsync(async () =>
            {
                var listed = await cluster.Shell(1).AxAsync("get", "vservices", "-o", "json");
                return listed.ExitCode == 0 && !listed.StdOut.Contains("\"web\"", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(20), "n2 to forget the vservice of the dead n1", () => cluster.Logs());
        // No longer virtual anywhere: the connect goes to the node network, which has no route to it.
        ConnectProbe.AssertOutcome(await cluster.Shell(1).RunUnderAxAsync([], ConnectProbe.Command(Vip, 80)), "ENETUNREACH");
    }
}
