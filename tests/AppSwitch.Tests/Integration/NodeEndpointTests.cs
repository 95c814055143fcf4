using System.Net;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// A server's node ip:port (as `ax get servers` shows it) is no side door: an app dialling it is decided exactly as
/// one dialling the server's virtual ip:port (labels, route rules), on the server's node and on any other.
/// </summary>
public sealed class NodeEndpointTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_client_refused_on_the_virtual_ip_is_refused_on_the_node_endpoint_too()
    {
        await using var node = await SingleNode.StartAsync(output);
        var nodeEndPoint = await StartLabelledServerAsync(node.Shell, node.Network);
        await AssertDecidedAsVirtualAsync(node.Shell, nodeEndPoint);
        // The reference: the node endpoint is a live server the kernel would connect anyone to.
        var direct = await node.Shell.RunAsync(CurlStatus($"http://{nodeEndPoint}/"));
        Assert.True(direct.ExitCode == 0 && direct.StdOut == "200", direct.Describe());
    }

    [Fact]
    public async Task On_another_node_the_node_endpoint_and_the_expose_relay_obey_the_labels_and_the_agent_ports_are_refused()
    {
        await using var network = TestNetwork.Create(2);
        var neighbors = string.Join(",", network.Nodes.Select(n => n.Address));
        string[] flags = ["--neighbors", neighbors, "--cluster", "axtest", "--gossip-key", ThreeNodeCluster.NewKey()];
        var agents = await Task.WhenAll(network.Nodes.Select(n => AgentProcess.StartAsync(network, n, AgentProcess.DefaultRestPort, flags)));
        try
        {
            var serverShell = new NodeShell(network, agents[0]);
            var clientShell = new NodeShell(network, agents[1]);
            // Exposed on every node at 8080: n1 binds the server's socket there, n2's agent relays n2:8080 to it.
            var nodeEndPoint = await StartLabelledServerAsync(serverShell, network, "--expose", "80:0.0.0.0:8080");
            await Eventually.UntilAsync(async () => (await clientShell.GetAsync<Common.Model.ServerRecord>()).Any(s => s.Ipv4Addr == nodeEndPoint),
                TimeSpan.FromSeconds(30), $"n2 to learn the server at {nodeEndPoint}", () => agents[1].Output);
            await AssertDecidedAsVirtualAsync(clientShell, nodeEndPoint);

            // The relay is for clients outside AppSwitch, which it serves (the reference); an app dialling it is
            // decided by its labels as on the virtual address.
            var relay = $"{network.Nodes[1].Address}:8080";
            await Eventually.UntilAsync(async () => (await clientShell.RunAsync(CurlStatus($"http://{relay}/"))).StdOut == "200",
                TimeSpan.FromSeconds(30), $"n2's relay at {relay} to serve a plain curl", () => agents[1].Output);
            await AssertDecidedAsVirtualAsync(clientShell, relay);

            // The other member's agent ports: its REST port and its gossip port (TCP and UDP) on its address.
            var attack = AgentPortAttack.Outcomes(await clientShell.RunUnderAxAsync(["--ip", VirtualIps.Client],
                AgentPortAttack.Command(network.Nodes[0].Address, AgentProcess.DefaultRestPort.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            AgentPortAttack.AssertAllRefused(attack, network.Nodes[0].Address);
        }
        finally
        {
            foreach (var agent in agents) output.WriteLine(agent.Output);
        }
    }

    [Fact]
    public async Task Route_rules_decide_the_node_endpoint_as_they_decide_the_virtual_address()
    {
        await using var node = await SingleNode.StartAsync(output);
        var endPoints = new Dictionary<string, string>();
        foreach (var (ip, version) in new[] { ("198.18.1.1", "v1"), ("198.18.1.2", "v2") })
        {
            var server = node.Shell.StartUnderAx(["--ip", ip, "--name", "helloworld", "--labels", $"version={version},zone=default"],
                ["python3", "-c", VersionServer, version]);
            endPoints[version] = (await node.Shell.WaitForServerAsync($"{ip}:7000", server: server)).Ipv4Addr;
        }
        var file = node.Network.Temp.WriteFile("rules.yaml", """
            rules:
            - id: hw-v1-only
              destination: helloworld
              route:
                backends:
                - tags: [version=v1]
            """);
        var created = await node.Shell.AxAsync("create", "rule", "-f", file);
        Assert.True(created.ExitCode == 0, created.Describe());

        // The rule sends helloworld to v1: v2's virtual address answers v1, v2's node endpoint is refused.
        Assert.Equal("v1", await AskAsync(node.Shell, "198.18.1.2:7000"));
        Assert.Equal("v1", await AskAsync(node.Shell, endPoints["v1"]));
        Assert.Equal("ECONNREFUSED", await AskAsync(node.Shell, endPoints["v2"]));
    }

    /// <summary>Answers every connection with its version (argv[1]) on port 7000.</summary>
    private const string VersionServer = """
        import socket, sys
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 7000)); s.listen(16)
        while True:
            c, _ = s.accept(); c.sendall(sys.argv[1].encode()); c.close()
        """;

    /// <summary>What an app under ax gets from ip:port: the server's answer, or the connect's errno name.</summary>
    private static async Task<string> AskAsync(NodeShell shell, string endPoint)
    {
        var (ip, port) = (endPoint[..endPoint.LastIndexOf(':')], endPoint[(endPoint.LastIndexOf(':') + 1)..]);
        var result = await shell.RunUnderAxAsync([], ["python3", "-c", """
            import errno, socket, sys
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
                print(c.recv(16).decode())
            except OSError as e:
                print(errno.errorcode.get(e.errno, e.errno))
            """, ip, port]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut.Trim();
    }

    /// <summary>A python http.server at 198.18.0.1:80 in zone=prod; returns its node ip:port from `ax get servers`.</summary>
    private static async Task<string> StartLabelledServerAsync(NodeShell shell, TestNetwork network, params string[] axOptions)
    {
        var root = DocumentRoot(network.Temp, "www", ("index.html", "prod"));
        var server = shell.StartUnderAx(["--ip", VirtualIps.Server, "--labels", "zone=prod", .. axOptions], PythonHttpServer(root));
        var record = await shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        return record.Ipv4Addr;
    }

    private static async Task AssertDecidedAsVirtualAsync(NodeShell shell, string nodeEndPoint)
    {
        foreach (var endPoint in new[] { IPEndPoint.Parse($"{VirtualIps.Server}:80"), IPEndPoint.Parse(nodeEndPoint) })
        {
            var (host, port) = (endPoint.Address.ToString(), endPoint.Port);
            var allowed = await shell.RunUnderAxAsync(["--ip", VirtualIps.Client, "--labels", "zone=prod"], CurlStatus($"http://{host}:{port}/"));
            Assert.True(allowed.ExitCode == 0 && allowed.StdOut == "200", $"{host}:{port}: " + allowed.Describe());
            // Refused as a closed port answers: ECONNREFUSED.
            var refused = await shell.RunUnderAxAsync(["--ip", VirtualIps.Client, "--labels", "zone=test"], ConnectProbe.Command(host, port));
            ConnectProbe.AssertOutcome(refused, "ECONNREFUSED");
        }
    }
}
