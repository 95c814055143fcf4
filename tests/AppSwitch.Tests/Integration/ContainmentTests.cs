using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 14, point 2: an app under `ax run` trying to get past the agent with the sockets it was handed
/// (tests/helpers/escape.c, the attacker). Where the kernel's answer is the reference, the same program runs
/// without ax on the node first and the attack is shown to work there.
/// </summary>
public sealed class ContainmentTests(ITestOutputHelper output)
{
    private const string NodePort = "9100";

    private sealed record Setup(SingleNode Node, string Escape) : IAsyncDisposable
    {
        public NodeShell Shell => Node.Shell;
        public string NodeAddress => Node.Node.Address;

        /// <summary>escape MODE ARGS without ax, in the node's namespace: "NAME RESULT" lines.</summary>
        public async Task<Dictionary<string, string>> NativeAsync(params string[] args) =>
            Results(await Shell.RunAsync([Escape, .. args]));

        /// <summary>escape MODE ARGS under `ax run AXOPTIONS`.</summary>
        public async Task<Dictionary<string, string>> UnderAxAsync(string[] axOptions, params string[] args) =>
            Results(await Shell.RunUnderAxAsync(axOptions, [Escape, .. args]));

        /// <summary>A TCP or UDP server of escape's own on the node's network (not under ax).</summary>
        public async Task<RunningProcess> StartListenerAsync(string mode, string ip, string port)
        {
            var server = Shell.Start(Escape, mode, ip, port);
            await server.WaitForOutputAsync(o => o.Contains("listening"), NodeShell.DefaultTimeout, $"{mode} on {ip}:{port}");
            return server;
        }

        public ValueTask DisposeAsync() => Node.DisposeAsync();

        private static Dictionary<string, string> Results(CommandResult run)
        {
            Assert.True(run.ExitCode == 0, run.Describe());
            return run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ', 2))
                .Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => p[1]);
        }
    }

    private async Task<Setup> StartAsync(params string[] agentFlags)
    {
        var node = await SingleNode.StartAsync(output, agentFlags);
        try
        {
            return new Setup(node, await HelperPrograms.BuildAsync("escape"));
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    private static int Count(RunningProcess server, string line) =>
        server.StdOut.Split('\n').Count(l => l.Trim() == line);

    [Fact]
    public async Task Connects_through_the_i386_entry_point_or_io_uring_do_not_exist_for_the_app()
    {
        await using var setup = await StartAsync();
        var server = await setup.StartListenerAsync("tcp-listen", setup.NodeAddress, NodePort);

        // The kernel's answer: both connect a bound socket to the node server.
        var native = await setup.NativeAsync("int80", setup.NodeAddress, NodePort);
        Assert.Equal("ok", native["int80"]);
        native = await setup.NativeAsync("iouring", setup.NodeAddress, NodePort);
        Assert.Equal("ok", native["iouring"]);
        await Eventually.UntilAsync(() => Count(server, "accepted") == 2, NodeShell.DefaultTimeout, "the two native connections",
            server.Describe);

        // Under ax the bound socket is a node socket: neither path may connect it past the agent.
        var int80 = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "int80", setup.NodeAddress, NodePort);
        Assert.Equal("ENOSYS", int80["int80"]);
        var iouring = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "iouring", setup.NodeAddress, NodePort);
        Assert.Equal("ENOSYS", iouring["iouring"]);
        Assert.Equal(2, Count(server, "accepted"));
    }

    [Fact]
    public async Task The_app_cannot_use_the_listener_copy_nor_install_a_listener_of_its_own()
    {
        await using var setup = await StartAsync();
        Assert.Equal("none", (await setup.NativeAsync("notify"))["notify"]);
        var native = await setup.NativeAsync("ownfilter");
        Assert.Equal("ok", native["ownfilter-listener"]);

        var seen = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "notify");
        Assert.True(seen.ContainsKey("listener"), "the launcher's copy of the listener was not found: " + string.Join("; ", seen));
        var notifyCalls = seen.Where(r => r.Key.StartsWith("notify-")).ToList();
        Assert.Equal(8, notifyCalls.Count);
        Assert.All(notifyCalls, r => Assert.True(r.Value == "EPERM", $"{r.Key}: {r.Value}"));

        var filter = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "ownfilter");
        Assert.Equal("EPERM", filter["ownfilter-listener"]);
        Assert.Equal("ok", filter["ownfilter-plain"]); // filters without a listener (sandboxes) still work

    }

    [Fact]
    public async Task A_root_app_cannot_leave_its_network_namespace_and_its_packet_sockets_see_only_it()
    {
        await using var setup = await StartAsync();
        var nodeNetns = $"/run/netns/{setup.Node.Node.Namespace}";
        var iface = setup.Node.Node.Interface;

        var native = await setup.NativeAsync("setns", nodeNetns);
        Assert.Equal("ok", native["setns"]);
        Assert.Equal("ok", (await setup.NativeAsync("packet", iface))["packet-bind"]);

        var escaped = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "setns", nodeNetns);
        Assert.Equal("EPERM", escaped["setns"]);
        Assert.Equal("EPERM", escaped["unshare"]);
        var packet = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "packet", iface);
        Assert.Equal("ok", packet["packet"]); // CAP_NET_RAW stays (ping) …
        Assert.Equal("ENODEV", packet["packet-bind"]); // … but the node's interface is not in the app's namespace

        // What it keeps: root, and the capabilities that do not reach outside (CAP_NET_RAW, CAP_CHOWN, …).
        var caps = await setup.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], ["grep", "-E", "^Cap(Eff|Bnd):", "/proc/self/status"]);
        output.WriteLine(caps.StdOut);
        foreach (var line in caps.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var mask = Convert.ToUInt64(line.Split('\t', 2)[1].Trim(), 16);
            Assert.True((mask & (1UL << 21)) == 0, "CAP_SYS_ADMIN kept: " + line);
            Assert.True((mask & (1UL << 12)) == 0, "CAP_NET_ADMIN kept: " + line);
            Assert.True((mask & (1UL << 19)) == 0, "CAP_SYS_PTRACE kept: " + line);
            Assert.True((mask & (1UL << 13)) != 0, "CAP_NET_RAW lost: " + line);
        }
    }

    [Fact]
    public async Task Sendto_on_a_handed_udp_socket_goes_only_where_a_connect_could()
    {
        await using var setup = await StartAsync();
        var node = await setup.StartListenerAsync("udp-listen", setup.NodeAddress, "9101");
        var nodeLoopback = await setup.StartListenerAsync("udp-listen", "127.0.0.1", "9102");
        var tcp = await setup.StartListenerAsync("tcp-listen", setup.NodeAddress, NodePort);
        var server = setup.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--labels", "zone=a"], [setup.Escape, "udp-listen", "0.0.0.0", "7000"]);
        await setup.Shell.WaitForServerAsync($"{VirtualIps.Server}:7000", server: server);

        // The kernel's answer: a socket on the node reaches the node's loopback.
        Assert.Equal("6", (await setup.NativeAsync("sendto", "5000", "127.0.0.1", "9102", "native"))["sendto"]);
        await nodeLoopback.WaitForOutputAsync(o => o.Contains("got native"), NodeShell.DefaultTimeout, "the native datagram");

        // Under ax, UDP bound to 0.0.0.0:5000 is a node socket; each sendto is decided like a connect.
        string[] zoneB = ["--ip", VirtualIps.Client, "--labels", "zone=b"], zoneA = ["--ip", VirtualIps.Client, "--labels", "zone=a"];
        Assert.Equal("ECONNREFUSED", (await setup.UnderAxAsync(zoneB, "sendto", "5000", "127.0.0.1", "9102", "loopback"))["sendto"]);
        Assert.Equal("ECONNREFUSED", (await setup.UnderAxAsync(zoneB, "sendto", "5000", VirtualIps.Server, "7000", "refused"))["sendto"]);
        Assert.Equal("7", (await setup.UnderAxAsync(zoneA, "sendto", "5000", VirtualIps.Server, "7000", "virtual"))["sendto"]);
        Assert.Equal("4", (await setup.UnderAxAsync(zoneB, "sendto", "5000", setup.NodeAddress, "9101", "node"))["sendto"]);
        // A TCP Fast Open "sendto" on a bound node socket would be a connect past the agent.
        Assert.Equal("EOPNOTSUPP", (await setup.UnderAxAsync(zoneB, "tcp-fastopen", setup.NodeAddress, NodePort))["fastopen"]);

        // A second thread rewriting the address between the agent's check and the send: the agent sends the bytes it read.
        var race = await setup.UnderAxAsync(zoneB, "sendto-race", "5000", setup.NodeAddress, "9101", "9102", "300");
        Assert.Equal(300, int.Parse(race["sent"]) + int.Parse(race["refused"]));

        await server.WaitForOutputAsync(o => o.Contains("got virtual"), NodeShell.DefaultTimeout, "the datagram sent to the virtual IP");
        await node.WaitForOutputAsync(o => o.Contains("got node"), NodeShell.DefaultTimeout, "the datagram sent to the node address");
        Assert.DoesNotContain("refused", server.StdOut);
        Assert.DoesNotContain("got loopback", nodeLoopback.StdOut);
        Assert.DoesNotContain("got race", nodeLoopback.StdOut);
        Assert.Equal(0, Count(tcp, "accepted"));
    }

    [Theory]
    [InlineData("dissolve")]     // TCP connected to a non-virtual node address: a node socket without a record
    [InlineData("dissolve-udp")] // UDP bound to 0.0.0.0:5001: a node socket with a record
    public async Task A_handed_socket_dissolved_with_AF_UNSPEC_cannot_reach_the_nodes_loopback(string mode)
    {
        await using var setup = await StartAsync();
        var udp = mode == "dissolve-udp";
        await setup.StartListenerAsync("tcp-listen", setup.NodeAddress, NodePort);
        var nodeLoopback = await setup.StartListenerAsync(udp ? "udp-listen" : "tcp-listen", "127.0.0.1", "9103");
        string[] args = udp ? [mode, "5001", "9103"] : [mode, setup.NodeAddress, NodePort, "9103"];
        var seen = udp ? "got escaped" : "accepted";

        var native = await setup.NativeAsync(args);
        Assert.Equal("ok", native["loopback"]);
        await Eventually.UntilAsync(() => Count(nodeLoopback, seen) == 1, NodeShell.DefaultTimeout, "the native connection", nodeLoopback.Describe);

        var attack = await setup.UnderAxAsync(["--ip", VirtualIps.Client], args);
        if (!udp) Assert.Equal("ok", attack["connect"]);
        Assert.Equal("ok", attack["unspec"]);
        Assert.Equal("ECONNREFUSED", attack["loopback"]);
        Assert.Equal(1, Count(nodeLoopback, seen));
    }

    [Fact]
    public async Task A_dissolved_node_socket_cannot_be_bound_to_the_nodes_loopback()
    {
        await using var setup = await StartAsync();
        await setup.StartListenerAsync("tcp-listen", setup.NodeAddress, NodePort);

        Assert.Equal("ok", (await setup.NativeAsync("dissolve-bind", setup.NodeAddress, NodePort))["bind-loopback"]);

        var attack = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "dissolve-bind", setup.NodeAddress, NodePort);
        Assert.Equal("ok", attack["unspec"]);
        Assert.Equal("EADDRNOTAVAIL", attack["bind-loopback"]); // a server on the node's loopback, past the agent, otherwise
    }

    [Fact]
    public async Task Bad_sendto_arguments_on_a_node_socket_get_the_kernels_errno()
    {
        await using var setup = await StartAsync();
        await setup.StartListenerAsync("udp-listen", setup.NodeAddress, "9101");
        var kernel = await setup.NativeAsync("sendto-bad", "5000", setup.NodeAddress, "9101");
        var underAx = await setup.UnderAxAsync(["--ip", VirtualIps.Client], "sendto-bad", "5000", setup.NodeAddress, "9101");
        Assert.Equal(7, kernel.Count);
        Assert.All(kernel, k => Assert.NotEqual("ok", k.Value));
        Assert.Equal(kernel, underAx);
    }

    [Fact]
    public async Task An_app_sharing_the_nodes_namespace_keeps_the_loopback_it_shares()
    {
        await using var setup = await StartAsync();
        var loopback = await setup.StartListenerAsync("udp-listen", "127.0.0.1", "9103");

        // --new-netns=false: the node's loopback is the app's own, so nothing of the above applies.
        string[] shared = ["--new-netns=false", "--ip", VirtualIps.Client];
        var dissolved = await setup.UnderAxAsync(shared, "dissolve-udp", "5001", "9103");
        Assert.Equal("ok", dissolved["loopback"]);
        Assert.Equal("4", (await setup.UnderAxAsync(shared, "sendto", "5002", "127.0.0.1", "9103", "sent"))["sendto"]);
        await loopback.WaitForOutputAsync(o => o.Contains("got escaped") && o.Contains("got sent"), NodeShell.DefaultTimeout,
            "both datagrams on the node's loopback");
    }
}
