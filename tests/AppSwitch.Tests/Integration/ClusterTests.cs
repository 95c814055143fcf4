using System.Diagnostics;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 4 point 6: three agents in three node namespaces form a cluster through `--neighbors` (gossip on the
/// default port, AES-GCM key, cluster name) and replicate their apps and servers; clients on one node reach
/// servers on another through the virtual IP. Failure detection, graceful leave, partition and heal, packet
/// loss, and nodes with the wrong key or cluster name. The tests assert what happens, with a loose anti-hang bound
/// only; how fast (failure detection, leave, heal, listing) is measured by `make bench-promises`
/// (tests/bench/promises.py). Times are printed for the log (the gossip uses memberlist's LAN profile: probe every
/// 1 s, suspicion 4 s at this size, and a dead member is retried by push/pull every 30 s, which heals a partition).
/// </summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const string Vip = VirtualIps.Server;
    private static readonly string ServiceAddr = $"{Vip}:80";
    private static readonly string[] ServerIp = ["--ip", Vip];
    private static readonly string[] ClientIp = ["--ip", VirtualIps.Client];
    /// <summary>Anti-hang bound only (how fast is `make bench-promises`' business): ten times the failure detection
    /// time, twice the reconnect interval that heals a partition.</summary>
    private static readonly TimeSpan AntiHang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_agents_with_neighbors_see_each_other_alive()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        var started = clock.Elapsed;
        var joined = await cluster.AwaitAllAliveAsync();
        output.WriteLine($"3 agents ready in {started.TotalSeconds:F2} s; all alive on all three {joined.TotalSeconds:F2} s later");

        foreach (var agent in cluster.Agents)
        {
            var nodes = await cluster.NodesAsync(agent);
            Assert.Equal(["n1", "n2", "n3"], nodes.Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal));
            Assert.All(nodes, n => Assert.Equal(ThreeNodeCluster.ClusterName, n.Cluster));
            var self = Assert.Single(nodes, n => n.Self);
            Assert.Equal(agent.Node.Name, self.Name);
            Assert.All(nodes, n => Assert.Equal(cluster.Network.Nodes.Single(x => x.Name == n.Name).Address, n.Address));
        }
        var stats = await ThreeNodeCluster.StatsAsync(cluster.Agents[0]);
        Assert.True(stats is { Gossip: true, Encrypted: true, AuthFailures: 0, WrongCluster: 0 } && stats.MessagesReceived > 0, stats.ToString());
    }

    [Fact]
    public async Task Curl_on_node_2_reaches_a_server_on_node_1_and_every_node_lists_the_server()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var root = DocumentRoot(cluster.Network.Temp, "www", ("index.html", "served by n1"));
        var server = cluster.Shell(0).StartUnderAx(ServerIp, PythonHttpServer(root));
        await cluster.Shell(0).WaitForServerAsync(ServiceAddr, server: server);

        var clock = Stopwatch.StartNew();
        foreach (var agent in cluster.Agents)
        {
            await Eventually.UntilAsync(async () => (await cluster.ServersAsync(agent, ServiceAddr)).Any(s => s.NodeId == "n1"),
                TimeSpan.FromSeconds(10), $"{agent.Node.Name} to list n1's server {ServiceAddr}", () => cluster.Logs());
            var entry = Assert.Single(await cluster.ServersAsync(agent, ServiceAddr));
            Assert.Equal("n1", entry.NodeId);
            Assert.Equal(ThreeNodeCluster.ClusterName, entry.Cluster);
            Assert.StartsWith(cluster.Network.Nodes[0].Address + ":", entry.Ipv4Addr);
        }
        output.WriteLine($"n1's server listed on all three nodes within {clock.Elapsed.TotalMilliseconds:F0} ms of being listed on n1");
        Assert.Contains(await cluster.Shell(2).GetAsync<AppRecord>(), a => a.NodeId == "n1" && a.AppIp == Vip);

        var result = await cluster.Shell(1).RunUnderAxAsync(ClientIp, CurlBodyAndStatus($"http://{Vip}/index.html"));
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + server.Describe() + "\n" + cluster.Logs());
        Assert.Equal("served by n1\n200", result.StdOut);
    }

    [Fact]
    public async Task Load_balancing_on_one_virtual_ip_spans_servers_on_two_nodes()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var rootA = DocumentRoot(cluster.Network.Temp, "a", ("who", "n1"));
        var rootC = DocumentRoot(cluster.Network.Temp, "c", ("who", "n3"));
        var serverA = cluster.Shell(0).StartUnderAx(ServerIp, PythonHttpServer(rootA));
        var serverC = cluster.Shell(2).StartUnderAx(ServerIp, PythonHttpServer(rootC));
        await Eventually.UntilAsync(async () =>
            (await cluster.ServersAsync(cluster.Agents[1], ServiceAddr)).Select(s => s.NodeId).Distinct().Count() == 2,
            TimeSpan.FromSeconds(15), $"n2 to list the servers of n1 and n3 on {ServiceAddr}",
            () => serverA.Describe() + "\n" + serverC.Describe() + "\n" + cluster.Logs());

        const int requests = 40;
        string[] curl = ["curl", "-sS", "-w", "\n", .. Enumerable.Repeat($"http://{Vip}/who", requests)];
        var result = await cluster.Shell(1).RunUnderAxAsync(ClientIp, curl, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Describe());
        var answers = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var fromA = answers.Count(x => x == "n1");
        var fromC = answers.Count(x => x == "n3");
        output.WriteLine($"{requests} requests from n2: {fromA} answered on n1, {fromC} on n3");
        Assert.True(fromA + fromC == requests && fromA > 0 && fromC > 0, $"expected both nodes to answer: n1={fromA} n3={fromC}\n{result.Describe()}");
    }

    [Fact]
    public async Task Kill_9_of_an_agent_makes_it_dead_and_removes_its_entries_on_the_others()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        await StartServerOnAndAwaitEverywhere(cluster, 2);

        var clock = Stopwatch.StartNew();
        await cluster.Agents[2].KillAsync();
        var times = await AwaitOnEachAsync(cluster.Agents.Take(2), async agent =>
            (await cluster.NodesAsync(agent)).Any(n => n.Name == "n3" && n.State == "dead") && !await HasEntriesOf(cluster, agent, "n3"),
            clock, AntiHang, "n3 dead and its apps and servers gone", cluster);
        output.WriteLine($"kill -9 of n3's agent: dead and its entries gone on {Times(times)}");
    }

    [Fact]
    public async Task Sigterm_leaves_the_cluster_listed_left_and_its_entries_go_from_the_others()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        await StartServerOnAndAwaitEverywhere(cluster, 2);

        var clock = Stopwatch.StartNew();
        var stopping = cluster.Agents[2].StopAsync();
        var times = await AwaitOnEachAsync(cluster.Agents.Take(2), async agent =>
            (await cluster.NodesAsync(agent)).Any(n => n.Name == "n3" && n.State == "left") && !await HasEntriesOf(cluster, agent, "n3"),
            clock, AntiHang, "n3 listed as left and its apps and servers gone", cluster);
        output.WriteLine($"SIGTERM of n3's agent: left and its entries gone on {Times(times)}");
        Assert.Equal(0, await stopping);
        foreach (var agent in cluster.Agents.Take(2))
            Assert.DoesNotContain(await cluster.NodesAsync(agent), n => n.Name == "n3" && n.State is "dead" or "suspect");
    }

    [Fact]
    public async Task A_cut_link_partitions_node_3_and_the_cluster_heals_when_it_is_restored()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        await StartServerOnAndAwaitEverywhere(cluster, 2);
        var network = cluster.Network;

        // The bridge-side end of n3's veth: n3 keeps its address and sockets but reaches nobody.
        var clock = Stopwatch.StartNew();
        SetBridgePort(network, 3, up: false);
        var cut = await AwaitOnEachAsync(cluster.Agents.Take(2), async agent =>
            (await cluster.NodesAsync(agent)).Any(n => n.Name == "n3" && n.State == "dead") && !await HasEntriesOf(cluster, agent, "n3"),
            clock, AntiHang, "n3 dead and its entries gone", cluster);
        var isolated = await AwaitOnEachAsync([cluster.Agents[2]], async agent =>
            (await cluster.NodesAsync(agent)).Where(n => n.Name != "n3").All(n => n.State == "dead") &&
            !await HasEntriesOf(cluster, agent, "n1") && !await HasEntriesOf(cluster, agent, "n2"),
            clock, AntiHang, "n1 and n2 dead and their entries gone", cluster);
        output.WriteLine($"link of n3 cut: n3 dead and its entries gone on {Times(cut)}; n1 and n2 dead on {Times(isolated)}");

        clock.Restart();
        SetBridgePort(network, 3, up: true);
        var healed = await cluster.AwaitAllAliveAsync(AntiHang);
        var back = await AwaitOnEachAsync(cluster.Agents.Take(2), async agent =>
            (await cluster.ServersAsync(agent, ServiceAddr)).Any(s => s.NodeId == "n3"),
            clock, AntiHang, "n3's server listed again", cluster);
        output.WriteLine($"link restored: all alive everywhere after {healed.TotalSeconds:F2} s; n3's server back on {Times(back)}");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public Task With_10_percent_loss_on_every_link_no_live_node_is_declared_dead_for_60_s() =>
        NoLiveNodeIsDeclaredDeadUnderLossAsync(TimeSpan.FromSeconds(60));

    /// <summary>The soak's short version in `make test`: ~15 probe rounds per node, about three suspicion timeouts.</summary>
    [Fact]
    public Task With_10_percent_loss_on_every_link_no_live_node_is_declared_dead_for_15_s() =>
        NoLiveNodeIsDeclaredDeadUnderLossAsync(TimeSpan.FromSeconds(15));

    private async Task NoLiveNodeIsDeclaredDeadUnderLossAsync(TimeSpan period)
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var losses = new List<PacketLoss>();
        foreach (var agent in cluster.Agents) losses.Add(await PacketLoss.ApplyAsync(agent.Node, 10));
        output.WriteLine($"10% loss of every node's outgoing packets ({losses[0].Mechanism})");

        var clock = Stopwatch.StartNew();
        var suspectSightings = new List<string>();
        var polls = 0;
        while (clock.Elapsed < period)
        {
            var round = Stopwatch.StartNew();
            foreach (var agent in cluster.Agents)
            {
                var nodes = await cluster.NodesAsync(agent);
                var dead = nodes.Where(n => n.State is "dead" or "left").ToList();
                Assert.True(dead.Count == 0,
                    $"at {clock.Elapsed.TotalSeconds:F1} s {agent.Node.Name} lists {ThreeNodeCluster.Describe(nodes)}\n{cluster.Logs()}");
                suspectSightings.AddRange(nodes.Where(n => n.State == "suspect")
                    .Select(n => $"{clock.Elapsed.TotalSeconds:F0}s {agent.Node.Name}:{n.Name}"));
                Assert.Equal(3, nodes.Count);
            }
            polls++;
            var rest = TimeSpan.FromSeconds(1) - round.Elapsed;
            if (rest > TimeSpan.Zero) await Task.Delay(rest);
        }

        var dropped = new List<long>();
        foreach (var loss in losses) dropped.Add(await loss.DroppedAsync());
        output.WriteLine($"{polls} polls of 3 nodes over {clock.Elapsed.TotalSeconds:F0} s: never dead; suspect seen {suspectSightings.Count} times " +
                         $"({string.Join(", ", suspectSightings.Take(20))}); packets dropped per node: {string.Join(", ", dropped)}");
        Assert.All(dropped, d => Assert.True(d > 0, $"the loss was not applied: dropped {string.Join(", ", dropped)}"));
    }

    [Fact]
    public async Task Nodes_with_a_wrong_key_or_cluster_name_are_refused_and_counted()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output, extraNodes: 2);
        await cluster.AwaitAllAliveAsync();
        var network = cluster.Network;
        var wrongKey = await cluster.StartAgentAsync(network.Nodes[3], key: ThreeNodeCluster.NewKey());
        var wrongCluster = await cluster.StartAgentAsync(network.Nodes[4], cluster: "othercluster");
        string[] intruders = [wrongKey.Node.Name, wrongCluster.Node.Name];

        var clock = Stopwatch.StartNew();
        var stats = new ClusterStats[3];
        await Eventually.UntilAsync(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var nodes = await cluster.NodesAsync(cluster.Agents[i]);
                Assert.True(!nodes.Any(n => intruders.Contains(n.Name)),
                    $"{cluster.Agents[i].Node.Name} lists {ThreeNodeCluster.Describe(nodes)}\n{cluster.Logs()}");
                stats[i] = await ThreeNodeCluster.StatsAsync(cluster.Agents[i]);
            }
            return stats.Sum(s => s.AuthFailures) > 0 && stats.Sum(s => s.WrongCluster) > 0;
        }, TimeSpan.FromSeconds(15), "the members to count packets refused for the key and for the cluster name",
            () => string.Join("\n", stats.Select(s => s?.ToString())) + "\n" + cluster.Logs());
        output.WriteLine($"refused within {clock.Elapsed.TotalMilliseconds:F0} ms; counters: " +
                         string.Join("; ", stats.Select(s => $"{s.Node}: auth {s.AuthFailures}, cluster {s.WrongCluster}")));

        var members = cluster.Agents.ToList();
        await Eventually.UntilAsync(() => members.Any(a => a.Output.Contains("authentication failed (wrong gossip key?)")) &&
                                          members.Any(a => a.Output.Contains("it belongs to cluster othercluster")),
            TimeSpan.FromSeconds(5), "the members to log the refused packets", () => cluster.Logs());

        foreach (var outsider in new[] { wrongKey, wrongCluster })
        {
            var own = await cluster.NodesAsync(outsider);
            var self = Assert.Single(own);
            Assert.True(self.Self && self.Name == outsider.Node.Name, ThreeNodeCluster.Describe(own));
        }
        for (var i = 0; i < 3; i++)
        {
            var nodes = await cluster.NodesAsync(cluster.Agents[i]);
            Assert.Equal(["n1", "n2", "n3"], nodes.Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal));
            Assert.All(nodes, n => Assert.Equal("alive", n.State));
        }
    }

    // ---- helpers ----

    /// <summary>A python http.server under `ax run --ip 198.18.0.1` on member <paramref name="index"/>, awaited in every member's table.</summary>
    private static async Task StartServerOnAndAwaitEverywhere(ThreeNodeCluster cluster, int index)
    {
        var name = cluster.Agents[index].Node.Name;
        var root = DocumentRoot(cluster.Network.Temp, $"www-{name}", ("who", name));
        var server = cluster.Shell(index).StartUnderAx(ServerIp, PythonHttpServer(root));
        await cluster.Shell(index).WaitForServerAsync(ServiceAddr, server: server);
        foreach (var agent in cluster.Agents)
            await Eventually.UntilAsync(async () => (await cluster.ServersAsync(agent, ServiceAddr)).Any(s => s.NodeId == name),
                TimeSpan.FromSeconds(10), $"{agent.Node.Name} to list {name}'s server", () => server.Describe() + "\n" + cluster.Logs());
    }

    private static async Task<bool> HasEntriesOf(ThreeNodeCluster cluster, AgentProcess agent, string node)
    {
        var shell = cluster.Shell(agent);
        return (await shell.GetAsync<ServerRecord>()).Any(s => s.NodeId == node) || (await shell.GetAsync<AppRecord>()).Any(a => a.NodeId == node);
    }

    /// <summary>Polls every observer until the condition holds on all; returns when it first held on each (on <paramref name="clock"/>).</summary>
    private static async Task<Dictionary<string, TimeSpan>> AwaitOnEachAsync(IEnumerable<AgentProcess> observers,
        Func<AgentProcess, Task<bool>> condition, Stopwatch clock, TimeSpan timeout, string what, ThreeNodeCluster cluster)
    {
        var pending = observers.ToList();
        var times = new Dictionary<string, TimeSpan>();
        var deadline = clock.Elapsed + timeout;
        await Eventually.UntilAsync(async () =>
        {
            foreach (var agent in pending.ToList())
            {
                if (!await condition(agent)) continue;
                times[agent.Node.Name] = clock.Elapsed;
                pending.Remove(agent);
            }
            return pending.Count == 0;
        }, deadline - clock.Elapsed, $"{what} on {string.Join(",", pending.Select(a => a.Node.Name))}",
            () => string.Join("\n", pending.Select(a => $"{a.Node.Name} sees {SafeDescribe(cluster, a)}")) + "\n" + cluster.Logs());
        return times;
    }

    private static string SafeDescribe(ThreeNodeCluster cluster, AgentProcess agent)
    {
        try { return ThreeNodeCluster.Describe(cluster.NodesAsync(agent).GetAwaiter().GetResult()); }
        catch (Exception e) { return $"(ax get nodes failed: {e.Message})"; }
    }

    private static string Times(Dictionary<string, TimeSpan> times) =>
        string.Join(", ", times.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} after {kv.Value.TotalSeconds:F2} s"));

    private static void SetBridgePort(TestNetwork network, int node, bool up) =>
        CommandRunner.Run("ip", "-n", network.BridgeNamespace, "link", "set", $"vn{node}", up ? "up" : "down").EnsureSuccess();
}
