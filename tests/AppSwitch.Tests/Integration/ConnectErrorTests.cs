using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>Connect failures reach the app at once and with the right errno.</summary>
public sealed class ConnectErrorTests(ITestOutputHelper output)
{
    private const string PythonConnect = """
        import errno, socket, sys, time
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t = time.monotonic()
        try:
            s.connect((sys.argv[1], int(sys.argv[2])))
            print("connected", 0)
        except OSError as e:
            print(errno.errorcode.get(e.errno, e.errno), round(time.monotonic() - t, 3))
        """;

    [Fact]
    public async Task Curl_to_a_virtual_ip_without_a_server_on_that_port_is_refused()
    {
        await using var node = await StartWithServerOnPort80Async();
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["curl", "-sS", "--max-time", "10", $"http://{VirtualIps.Server}:81/"]);
        // Exit 7 is "could not connect" (refused); a connect left hanging would be curl's timeout, exit 28.
        Assert.True(result.ExitCode == 7, "curl should fail to connect (exit 7): " + result.Describe());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Blocking_connect_to_a_virtual_ip_without_a_server_on_that_port_gets_ECONNREFUSED(bool otherPortServed)
    {
        await using var node = otherPortServed ? await StartWithServerOnPort80Async() : await StartWithIdleAppAsync();
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", PythonConnect, VirtualIps.Server, "81"]);
        AssertConnectError(result, "ECONNREFUSED");
    }

    [Fact]
    public async Task Connect_to_a_non_virtual_address_goes_to_the_node_network()
    {
        await using var node = await SingleNode.StartAsync(output);
        // An address the node has no route to (test nodes have no default route): the node's errno, at once.
        var unreachable = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", PythonConnect, "198.19.255.1", "80"]);
        AssertConnectError(unreachable, "ENETUNREACH");
    }

    [Fact]
    public async Task An_app_cannot_reach_the_agents_own_ports_on_its_node()
    {
        await using var node = await SingleNode.StartAsync(output);
        var rest = node.Agent.RestPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The reference: a process of the node itself, without ax, reaches the REST and gossip ports.
        var direct = AgentPortAttack.Outcomes(await node.Shell.RunAsync(AgentPortAttack.Command(node.Node.Address, rest, readOnly: true)));
        Assert.Equal(("200", "connected", "connected"), (direct["healthz"], direct["gossip-tcp"], direct["gossip-udp"]));

        // The app under ax: on the node address and on the unspecified address (which the kernel takes as a local one),
        // every attempt — reading health, creating and deleting rules, gossip over TCP and UDP — is refused.
        foreach (var target in new[] { node.Node.Address, "0.0.0.0" })
        {
            var attack = AgentPortAttack.Outcomes(await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], AgentPortAttack.Command(target, rest)));
            AgentPortAttack.AssertAllRefused(attack, target);
        }
        // The HTTP relay's port (ephemeral, on the node address; published only in the agent's log).
        var relayPort = System.Text.RegularExpressions.Regex.Match(node.Agent.Output, @"HTTP relay listening on [0-9.]+:(\d+)").Groups[1].Value;
        Assert.True(relayPort.Length > 0, "no HTTP relay port in the agent's log: " + node.Agent.Output);
        var relay = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], ["python3", "-c", PythonConnect, node.Node.Address, relayPort]);
        AssertConnectError(relay, "ECONNREFUSED");
        var rules = await node.Shell.AxAsync("get", "rules", "-o", "json");
        Assert.True(rules.ExitCode == 0 && !rules.StdOut.Contains("hijack", StringComparison.Ordinal), rules.Describe());
        // README: "gets ECONNREFUSED and a debug log line (… is the agent's own …)": the line is part of the promise.
        Assert.Contains("is the agent's own REST port: refused", node.Agent.Output);
        Assert.Contains("is the agent's own gossip port: refused", node.Agent.Output);
        Assert.Contains("is the agent's own HTTP relay port: refused", node.Agent.Output);
    }

    /// <summary>A node whose virtual IP 198.18.0.1 is known (a server listens on port 80).</summary>
    private async Task<SingleNode> StartWithServerOnPort80Async()
    {
        var node = await SingleNode.StartAsync(output);
        try
        {
            var root = RealPrograms.DocumentRoot(node.Network.Temp, "www", ("index.html", "x"));
            var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], RealPrograms.PythonHttpServer(root));
            await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>A node where an app holds the virtual IP 198.18.0.1 but listens on nothing.</summary>
    private async Task<SingleNode> StartWithIdleAppAsync()
    {
        var node = await SingleNode.StartAsync(output);
        try
        {
            var idle = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["sleep", "600"]);
            await Eventually.UntilAsync(async () => (await node.Shell.GetAsync<AppRecord>()).Any(a => a.AppIp == VirtualIps.Server),
                TimeSpan.FromSeconds(30), $"an app with IP {VirtualIps.Server} in `ax get apps`", idle.Describe);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    private static void AssertConnectError(CommandResult result, string errno)
    {
        Assert.True(result.ExitCode == 0, result.Describe());
        var parts = result.StdOut.Trim().Split(' ');
        // The errno is the property: a connect the agent left waiting would end in ETIMEDOUT, not these.
        Assert.True(parts[0] == errno, $"expected {errno}: " + result.Describe());
    }
}
