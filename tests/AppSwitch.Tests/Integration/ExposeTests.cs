using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// `--expose`: clients outside AppSwitch (a plain curl on the node) reach an app at a node port. On the app's
/// own node the app's listening socket itself is bound there — no relay (other nodes: RelayTests).
/// </summary>
public sealed class ExposeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_plain_curl_on_the_node_reaches_an_app_exposed_at_a_node_port()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "exposed"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--expose", "80:8080"], PythonHttpServer(root));
        var entry = await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        Assert.Equal($"{node.Node.Address}:8080", entry.Ipv4Addr); // the app's own socket, not a relay

        var plain = await node.Shell.RunAsync(CurlBodyAndStatus($"http://{node.Node.Address}:8080/"));
        Assert.True(plain.ExitCode == 0 && plain.StdOut == "exposed\n200", plain.Describe());
        var virtualClient = await node.Shell.RunUnderAxAsync([], CurlStatus($"http://{VirtualIps.Server}/"));
        Assert.True(virtualClient.ExitCode == 0 && virtualClient.StdOut == "200", virtualClient.Describe());
    }

    [Fact]
    public async Task Exposing_on_every_interface_answers_on_the_nodes_loopback_too()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "everywhere"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--expose", "80:0.0.0.0:8081"], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        foreach (var host in new[] { node.Node.Address, "127.0.0.1" })
        {
            var plain = await node.Shell.RunAsync(CurlStatus($"http://{host}:8081/"));
            Assert.True(plain.ExitCode == 0 && plain.StdOut == "200", host + "\n" + plain.Describe());
        }
    }

    [Fact]
    public async Task A_bad_expose_mapping_is_refused_with_one_line()
    {
        await using var node = await SingleNode.StartAsync(output);
        var bad = await node.Shell.RunUnderAxAsync(["--expose", "80"], ["true"]);
        Assert.True(bad.ExitCode == 2, bad.Describe());
        Assert.Equal("ax: invalid value \"80\" for --expose: '80' is not PORT:HOSTPORT, PORT:NODEIP:HOSTPORT or PORT:0.0.0.0:HOSTPORT (ports 1-65535)", bad.StdErr.Trim());
    }
}
