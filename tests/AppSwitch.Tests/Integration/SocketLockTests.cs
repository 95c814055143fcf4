using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 14, point 2 — the socket lock: BPF programs on the agent's cgroup let only the agent's own tasks connect
/// or bind node sockets, and let others sendmsg on them only to the connected peer or a peer the socket heard
/// from. Each attack is the helper tests/helpers/socket_lock_attack.c; the server it aims at runs on a second
/// node (n2) and prints every connection and datagram it gets.
/// </summary>
public sealed class SocketLockTests(ITestOutputHelper output)
{
    private const int TcpPort = 7001, UdpPort = 7002;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private sealed record Setup(TestNetwork Network, AgentProcess Agent, NodeShell Node1, NodeShell Node2, string Helper, RunningProcess Server)
        : IAsyncDisposable
    {
        public string ServerAddress => Network.Nodes[1].Address;
        public ValueTask DisposeAsync() => Network.DisposeAsync();
    }

    /// <summary>Two nodes: the agent on n1, the helper's plain server on n2 (TCP 7001, UDP 7002).</summary>
    private static async Task<Setup> StartAsync(params string[] agentFlags)
    {
        var network = TestNetwork.Create(2);
        try
        {
            var agent = await AgentProcess.StartAsync(network, network.Nodes[0], extraFlags: agentFlags);
            var helper = await HelperPrograms.BuildAsync("socket_lock_attack");
            var node2 = new NodeShell(network, network.Nodes[1], agent.SocketDir);
            var server = node2.Start(helper, "serve", TcpPort.ToString(), UdpPort.ToString());
            await server.WaitForOutputAsync(o => o.Contains("listening"), Timeout, "the server on n2 to listen");
            return new Setup(network, agent, new NodeShell(network, agent), node2, helper, server);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ports of the connections and datagrams the server saw, as "tcp PORT" / "udp PORT".</summary>
    private static List<string> SeenBy(RunningProcess server) =>
        [.. server.StdOut.Split('\n').Where(l => l.StartsWith("tcp ") || l.StartsWith("udp "))
            .Select(l => $"{l[..3]} {l[(l.LastIndexOf(':') + 1)..]}")];

    private static string Port(string output, string prefix) =>
        output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal)).Split(':').Last().Trim();

    private static void AssertAll(string attackOutput, string expected, string context)
    {
        foreach (var attack in new[] { "uring-connect", "tcp-fastopen", "tcp-connect", "udp-sendmsg", "udp-connect", "udp-bind" })
            Assert.True(attackOutput.Contains($"{attack} {expected}\n"), $"{attack}: expected {expected}\n{attackOutput}\n{context}");
        // Dissolving stays allowed (the kernel handles AF_UNSPEC before the hook); it is what makes the rebind possible.
        Assert.True(attackOutput.Contains("udp-dissolve ok\n"), attackOutput);
    }

    /// <summary>An app under ax hands its node sockets to a colluder outside ax; returns both processes once the colluder has them.</summary>
    private static async Task<(RunningProcess Giver, RunningProcess Colluder)> HandOverAsync(Setup s, bool hold,
        string appIp = VirtualIps.Client)
    {
        var path = Path.Combine(s.Network.Temp.Path, $"colluder-{TempDirectory.NewId()}.sock");
        string[] use = [s.Helper, "use", path, s.ServerAddress, TcpPort.ToString(), UdpPort.ToString(), .. hold ? new[] { "hold" } : []];
        var colluder = s.Node1.Start(use);
        await colluder.WaitForOutputAsync(o => o.Contains("waiting"), Timeout, "the colluder to listen");
        var giver = s.Node1.StartUnderAx(["--ip", appIp], [s.Helper, "give", path, "5353", s.ServerAddress, UdpPort.ToString()]);
        await colluder.WaitForOutputAsync(o => o.Contains("got udp"), Timeout, "the colluder to get the node sockets");
        // They are node sockets: bound to n1's address (the app itself sees its virtual view of them).
        Assert.Contains($"got tcp {s.Network.Nodes[0].Address}:", colluder.StdOut);
        Assert.Contains($"got udp {s.Network.Nodes[0].Address}:", colluder.StdOut);
        Assert.Contains($"got udp-connected {s.Network.Nodes[0].Address}:", colluder.StdOut);
        return (giver, colluder);
    }

    [Fact]
    public async Task A_colluder_outside_ax_cannot_connect_or_send_with_node_sockets_an_app_passes_it()
    {
        await using var s = await StartAsync();
        // The premise (the EPERMs below are the lock's, not seccomp's): the agent's one line saying the lock is on.
        Assert.Contains("socket lock on: cgroup /", s.Agent.Output);

        var (_, colluder) = await HandOverAsync(s, hold: false);
        var attack = await colluder.WaitForExitAsync(Timeout);
        output.WriteLine(attack.StdOut);
        AssertAll(attack.StdOut, "EPERM", s.Agent.Output);

        // The kernel's reference: the same calls on sockets the colluder made itself reach the server.
        var own = await s.Node1.RunAsync([s.Helper, "own", s.ServerAddress, TcpPort.ToString(), UdpPort.ToString()]);
        AssertAll(own.StdOut, "ok", own.Describe());
        await Eventually.UntilAsync(() => SeenBy(s.Server).Count(l => l.StartsWith("tcp")) == 3 && SeenBy(s.Server).Any(l => l.StartsWith("udp")),
            Timeout, "the server to see the colluder's own connections and datagram", s.Server.Describe);
        var handed = new[]
        {
            $"tcp {Port(attack.StdOut, "got tcp ")}", $"udp {Port(attack.StdOut, "got udp ")}", $"udp {Port(attack.StdOut, "got udp-connected ")}",
        };
        Assert.Empty(SeenBy(s.Server).Intersect(handed));
    }

    /// <summary>The helper's `self` mode under ax: io_uring connect and sendmsg on its own node sockets.</summary>
    private async Task<CommandResult> AttackOwnNodeSocketsAsync(Setup s)
    {
        var self = await s.Node1.RunUnderAxAsync(["--ip", VirtualIps.Client],
            [s.Helper, "self", s.ServerAddress, TcpPort.ToString(), UdpPort.ToString()]);
        output.WriteLine(self.StdOut);
        Assert.True(self.ExitCode == 0, self.Describe());
        return self;
    }

    [Fact]
    public async Task An_app_under_ax_cannot_use_its_own_node_sockets_past_seccomp()
    {
        // The issue's attacks: io_uring's connect and sendmsg with an address are calls the filter does not trap.
        await using var s = await StartAsync();
        var self = await AttackOwnNodeSocketsAsync(s);
        // ENOSYS when the filter refuses io_uring_setup (the containment part); never a connection.
        Assert.Contains("uring-connect ENOSYS\n", self.StdOut);
        Assert.Contains("udp-sendmsg EPERM\n", self.StdOut);
        Assert.Empty(SeenBy(s.Server));
    }

    [Fact]
    public async Task Without_the_lock_an_app_under_ax_reaches_the_server_past_seccomp()
    {
        // The reference for the test above: sendmsg is not trapped by seccomp, so only the lock stops it
        // (io_uring is closed by the filter either way: ENOSYS).
        await using var s = await StartAsync("--socket-lock=false");
        var self = await AttackOwnNodeSocketsAsync(s);
        Assert.Contains("uring-connect ENOSYS\n", self.StdOut);
        Assert.Contains("udp-sendmsg ok\n", self.StdOut);
        await Eventually.UntilAsync(() => SeenBy(s.Server).Count == 1, Timeout, "the server to see the datagram", s.Server.Describe);
    }

    [Fact]
    public async Task The_lock_holds_while_no_agent_runs_and_after_the_agent_restarts()
    {
        await using var s = await StartAsync();
        var (_, colluder) = await HandOverAsync(s, hold: true);
        await colluder.WaitForOutputAsync(o => o.Contains("holding"), Timeout, "the colluder to hold the sockets");

        // No agent at all: the programs stay attached to the cgroup (attached without a link).
        await s.Agent.KillAsync();
        colluder.Signal(Signals.SIGUSR1);
        var attack = await colluder.WaitForExitAsync(Timeout);
        AssertAll(attack.StdOut, "EPERM", attack.StdOut);

        // A new agent replaces the programs on the same cgroup; sockets of both agents stay locked.
        var restarted = await s.Agent.RestartAsync(s.Network);
        var cgroupLine = restarted.Output.Split('\n').Single(l => l.Contains("socket lock on:"));
        Assert.Contains($"cgroup /{s.Network.Nodes[0].SocketLockCgroup} ", cgroupLine);
        var (_, second) = await HandOverAsync(s with { Agent = restarted, Node1 = new NodeShell(s.Network, restarted) }, hold: false,
            appIp: VirtualIps.Other);
        AssertAll((await second.WaitForExitAsync(Timeout)).StdOut, "EPERM", restarted.Output);
        Assert.Empty(SeenBy(s.Server));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_new_agent_in_another_parent_cgroup_still_owns_the_node_sockets_of_the_previous_one(bool mapsRecorded)
    {
        // A DaemonSet's new pod (or a restarted container) starts the agent in another cgroup, so its socket-lock cgroup
        // is another one; the previous agent's programs stay on the old cgroup for the sockets it made. The new agent
        // adds itself to the maps the old programs use (found by the ids in the admin directory), so it can still
        // connect an app's old node socket. Without that record it cannot: the reference that shows what is at stake.
        await using var s = await StartAsync();
        var go = Path.Combine(s.Network.Temp.Path, $"go-{TempDirectory.NewId()}");
        var app = s.Node1.StartUnderAx(["--ip", VirtualIps.Client], ["python3", "-c", $$"""
            import errno, os, socket, time
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("0.0.0.0", 5454))  # a node socket, made by the first agent
            print("bound", flush=True)
            while not os.path.exists("{{go}}"):
                time.sleep(0.05)
            try:
                u.connect(("{{s.ServerAddress}}", {{UdpPort}}))
                u.send(b"after the restart")
                print("sent", flush=True)
            except OSError as e:
                print("error", errno.errorcode[e.errno], flush=True)
            """]);
        await app.WaitForOutputAsync(o => o.Contains("bound"), Timeout, "the app to bind");

        await s.Agent.KillAsync();
        if (!mapsRecorded) File.Delete(Path.Combine(s.Agent.AdminDir, "socket-lock-maps"));
        var parent = $"{s.Network.Nodes[0].SocketLockCgroup}-pod2";
        Directory.CreateDirectory(TestCgroups.PathOf(parent));
        AgentProcess? restarted = null;
        try
        {
            restarted = await s.Agent.RestartInCgroupAsync(s.Network, TestCgroups.PathOf(parent));
            Assert.Contains($"cgroup /{parent}/{s.Network.Nodes[0].SocketLockCgroup} ", restarted.Output);
            await File.WriteAllTextAsync(go, "");
            var result = await app.WaitForExitAsync(Timeout);
            if (mapsRecorded)
            {
                Assert.True(result.StdOut.Contains("sent\n"), result.Describe() + restarted.Output);
                await Eventually.UntilAsync(() => SeenBy(s.Server).Any(l => l.StartsWith("udp")), Timeout, "the datagram", s.Server.Describe);
            }
            else
            {
                Assert.True(result.StdOut.Contains("error EPERM\n"), result.Describe() + restarted.Output);
                Assert.Empty(SeenBy(s.Server));
            }
        }
        finally
        {
            if (restarted is not null) await restarted.KillAsync();
            await TestCgroups.RemoveAsync($"{parent}/{s.Network.Nodes[0].SocketLockCgroup}");
            await TestCgroups.RemoveAsync(parent);
        }
    }

    [Fact]
    public async Task Removing_the_cgroup_leaves_the_sockets_it_covered_locked()
    {
        await using var s = await StartAsync();
        var (_, colluder) = await HandOverAsync(s, hold: true);
        await colluder.WaitForOutputAsync(o => o.Contains("holding"), Timeout, "the colluder to hold the sockets");
        await s.Agent.KillAsync();
        // Sockets keep their cgroup's programs: rmdir (what the tests' cleanup does) opens no hole.
        await TestCgroups.RemoveAsync(s.Network.Nodes[0].SocketLockCgroup);
        colluder.Signal(Signals.SIGUSR1);
        AssertAll((await colluder.WaitForExitAsync(Timeout)).StdOut, "EPERM", "");
        Assert.Empty(SeenBy(s.Server));
    }

    /// <summary>
    /// The race target is the racer's own virtual IP, which the agent refuses (nobody serves it); n2 also has that
    /// address and n1 a route to it, so a kernel connect of the node socket would reach n2's server.
    /// </summary>
    private static async Task<(CommandResult Race, Setup S)> RaceAsync(Setup s)
    {
        const string Refused = "198.18.9.9";
        await CommandRunner.RunCheckedAsync("ip", "-n", s.Network.Nodes[1].Namespace, "addr", "add", $"{Refused}/32", "dev", "eth0");
        await CommandRunner.RunCheckedAsync("ip", "-n", s.Network.Nodes[0].Namespace, "route", "add", $"{Refused}/32", "dev", "eth0");
        var race = await s.Node1.RunUnderAxAsync(["--ip", Refused], [s.Helper, "race", Refused, TcpPort.ToString(), "2000"], TimeSpan.FromSeconds(120));
        Assert.True(race.ExitCode == 0, race.Describe());
        return (race, s);
    }

    [Fact]
    public async Task Swapping_a_node_socket_under_a_continued_AF_UNIX_connect_never_reaches_the_node_network()
    {
        await using var s = await StartAsync();
        var (race, _) = await RaceAsync(s);
        output.WriteLine(race.StdOut); // "eperm N": how often the swap landed in the window and the lock refused it
        Assert.Contains("race iterations 2000 ", race.StdOut);
        Assert.Contains(" breached 0", race.StdOut);
        Assert.Empty(SeenBy(s.Server));
    }

    [Fact]
    public async Task Without_the_lock_the_same_race_reaches_the_server()
    {
        // The reference for the test above: the attack is real, and only the lock stops it.
        await using var s = await StartAsync("--socket-lock=false");
        Assert.Contains("socket lock disabled", s.Agent.Output); // the premise, as the agent states it at start
        var (race, _) = await RaceAsync(s);
        output.WriteLine(race.StdOut);
        Assert.Contains(" breached 1", race.StdOut);
        await Eventually.UntilAsync(() => SeenBy(s.Server).Count == 1, Timeout, "the server to see the racer's connection", s.Server.Describe);
    }

    private const string UdpClient = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.connect((sys.argv[1], int(sys.argv[2])))
        s.send(b"ping")
        print(s.recv(2048).decode())
        """;

    [Fact]
    public async Task A_udp_server_under_ax_answers_with_sendmsg_but_cannot_send_to_a_peer_it_never_heard_from()
    {
        await using var s = await StartAsync();
        var server = s.Node1.StartUnderAx(["--ip", VirtualIps.Server], [s.Helper, "udp-answer", "5400", s.ServerAddress, UdpPort.ToString()]);
        await s.Node1.WaitForServerAsync($"{VirtualIps.Server}:5400", server: server);

        var client = await s.Node1.RunUnderAxAsync(["--ip", VirtualIps.Client], ["python3", "-c", UdpClient, VirtualIps.Server, "5400"]);
        Assert.True(client.ExitCode == 0, client.Describe() + "\n" + server.Describe());
        Assert.Equal("ping", client.StdOut.Trim());
        await server.WaitForOutputAsync(o => o.Contains("stranger "), Timeout, "the server to try the stranger");
        Assert.Contains("reply ok\n", server.StdOut);
        Assert.Contains("stranger EPERM\n", server.StdOut);
        Assert.Empty(SeenBy(s.Server));
    }

    [Fact]
    public async Task The_agent_runs_in_its_own_cgroup_which_the_test_removes()
    {
        string cgroup;
        await using (var node = await SingleNode.StartAsync(output))
        {
            cgroup = TestCgroups.PathOf(node.Node.SocketLockCgroup);
            var members = File.ReadAllText(Path.Join(cgroup, "cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal([node.Agent.Pid.ToString()], members);
        }
        Assert.False(Directory.Exists(cgroup), $"{cgroup} is left behind");
    }

    [Fact]
    public async Task Where_no_cgroup_can_be_made_the_agent_warns_once_and_runs_with_seccomp_only()
    {
        await using var network = TestNetwork.Create(1);
        var node = network.Nodes[0];
        // A cgroup that may have no children: the agent, started inside it, cannot make its own.
        var limited = $"{node.SocketLockCgroup}-nochild";
        var limitedPath = TestCgroups.PathOf(limited);
        Directory.CreateDirectory(limitedPath);
        RunningProcess? daemon = null;
        try
        {
            File.WriteAllText(Path.Join(limitedPath, "cgroup.max.descendants"), "0");
            var socketDir = network.Temp.NewSubdirectory("agent");
            string[] ax = [RepoLayout.RequireAx(), "daemon", "--socket-dir", socketDir, "--admin-socket-dir", AgentProcess.AdminDirOf(socketDir),
                "--node-interface", node.Interface, "--rest-port", "0"];
            daemon = network.Own(RunningProcess.Start("sh", ["-c", "echo $$ > \"$0/cgroup.procs\" && exec ip \"$@\"", limitedPath, .. node.Exec(ax)]));
            await Eventually.UntilAsync(() => daemon.StdErr.Contains("AppSwitch agent running") || daemon.HasExited, Timeout,
                "the agent to start", daemon.Describe);
            var warnings = daemon.StdErr.Split('\n').Where(l => l.Contains("socket lock")).ToList();
            Assert.True(warnings.Count == 1 && warnings[0].Contains("warn:"), daemon.Describe());
            Assert.Contains("socket lock off: cannot move the agent into the cgroup", warnings[0]);
            Assert.EndsWith("apps are contained by seccomp only", warnings[0].TrimEnd());

            var shell = new NodeShell(network, node, socketDir);
            var root = RealPrograms.DocumentRoot(network.Temp, "www", ("index.html", "x"));
            var server = shell.StartUnderAx(["--ip", VirtualIps.Server], RealPrograms.PythonHttpServer(root));
            await shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
            var curl = await shell.RunUnderAxAsync(["--ip", VirtualIps.Client], RealPrograms.CurlStatus($"http://{VirtualIps.Server}/"));
            Assert.True(curl.StdOut == "200", curl.Describe() + "\n" + daemon.Describe());
        }
        finally
        {
            if (daemon is not null) await daemon.DisposeAsync();
            await TestCgroups.RemoveAsync(limited);
        }
    }
}
