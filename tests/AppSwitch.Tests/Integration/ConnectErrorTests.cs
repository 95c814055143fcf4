using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>Connect failures reach the app at once and with the right errno.</summary>
[Collection(IntegrationCollection.Name)]
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
    public async Task Curl_to_a_virtual_ip_without_a_server_on_that_port_is_refused_at_once()
    {
        await using var node = await StartWithServerOnPort80Async();
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["curl", "-sS", "--max-time", "10", $"http://{VirtualIps.Server}:81/"]);
        Assert.True(result.ExitCode == 7, "curl should fail to connect (exit 7): " + result.Describe());
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(3), $"refusal took {result.Elapsed.TotalMilliseconds:F0} ms (ax run included)");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Blocking_connect_to_a_virtual_ip_without_a_server_on_that_port_gets_ECONNREFUSED_at_once(bool otherPortServed)
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
        // The node's own address: the agent's REST port answers there.
        var health = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            RealPrograms.CurlStatus($"http://{node.Node.Address}:{node.Agent.RestPort}/healthz"));
        Assert.True(health.ExitCode == 0 && health.StdOut == "200", health.Describe());

        // An address the node has no route to (test nodes have no default route): the node's errno, at once.
        var unreachable = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", PythonConnect, "198.19.255.1", "80"]);
        AssertConnectError(unreachable, "ENETUNREACH");
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
        Assert.True(parts[0] == errno, $"expected {errno}: " + result.Describe());
        Assert.True(double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) < 0.5,
            $"connect took {parts[1]} s to fail with {errno}");
    }
}
