using System.Text.Json;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Virtual services on one node: load balancing over app backends, external backends, ports, delete, CLI and restart.</summary>
public sealed class VServiceTests(ITestOutputHelper output)
{
    private const string Vip = "198.18.9.1";
    private static readonly string[] Backends = ["198.18.1.1", "198.18.1.2", "198.18.1.3"];

    /// <summary>Three python http.servers on the backend IPs, each answering its own name ("b0", "b1", "b2").</summary>
    private static async Task StartBackendsAsync(SingleNode node)
    {
        for (var i = 0; i < Backends.Length; i++)
        {
            var root = DocumentRoot(node.Network.Temp, $"b{i}", ("index.html", $"b{i}"));
            var server = node.Shell.StartUnderAx(["--ip", Backends[i]], PythonHttpServer(root));
            await node.Shell.WaitForServerAsync($"{Backends[i]}:80", server: server);
        }
    }

    /// <summary>A client under ax making <paramref name="count"/> sequential requests; one body per line.</summary>
    private static async Task<List<string>> FetchManyAsync(SingleNode node, string url, int count)
    {
        const string client = """
            import sys, urllib.request
            for _ in range(int(sys.argv[2])):
                print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode(), flush=True)
            """;
        var result = await node.Shell.RunUnderAxAsync([], ["python3", "-c", client, url, count.ToString()], TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static async Task CreateAsync(SingleNode node, params string[] args)
    {
        var result = await node.Shell.AxAsync(["create", "vservice", .. args]);
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal($"Service '{args[^1]}' created successfully with IP '{args[Array.IndexOf(args, "--ip") + 1]}'.", result.StdOut.Trim());
    }

    [Fact]
    public async Task Round_robin_rotates_exactly_over_three_app_backends_with_port_mapping()
    {
        await using var node = await SingleNode.StartAsync(output);
        await StartBackendsAsync(node);
        await CreateAsync(node, "--ip", Vip, "--backends", string.Join(",", Backends), "--ports", "8080:80", "--lbtype", "RoundRobin", "rr");

        // 30 separate curl processes from one client under ax.
        var loop = await node.Shell.RunUnderAxAsync([], ["bash", "-c", $"for i in $(seq 30); do curl -sS http://{Vip}:8080/; echo; done"],
            TimeSpan.FromSeconds(120));
        Assert.True(loop.ExitCode == 0, loop.Describe());
        var bodies = loop.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(30, bodies.Length);
        Assert.Equal(3, bodies.Take(3).Distinct().Count());
        for (var i = 3; i < bodies.Length; i++) Assert.True(bodies[i] == bodies[i - 3], $"not a strict rotation: {string.Join(" ", bodies)}");
        Assert.All(bodies.GroupBy(b => b), g => Assert.Equal(10, g.Count()));

        // Only the listed vport: the aport itself and others are refused like closed ports.
        foreach (var port in new[] { 80, 8081 })
            ConnectProbe.AssertOutcome(await node.Shell.RunUnderAxAsync([], ConnectProbe.Command(Vip, port)), "ECONNREFUSED");
    }

    [Fact]
    public async Task Random_spreads_three_hundred_connections_evenly()
    {
        await using var node = await SingleNode.StartAsync(output);
        await StartBackendsAsync(node);
        await CreateAsync(node, "--ip", Vip, "--backends", string.Join(",", Backends), "--ports", "80:80", "--lbtype", "Random", "rnd");

        var bodies = await FetchManyAsync(node, $"http://{Vip}/", 300);
        var counts = bodies.GroupBy(b => b).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Join(" ", counts.Select(c => $"{c.Key}={c.Value}")));
        Assert.Equal(300, bodies.Count);
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 60, 140));
    }

    [Fact]
    public async Task An_external_backend_is_reached_on_the_node_network_and_delete_ends_it()
    {
        await using var node = await SingleNode.StartAsync(output);
        var address = node.Node.Address;
        var root = DocumentRoot(node.Network.Temp, "plain", ("index.html", "plain server"));
        node.Shell.Start(PythonHttpServer(root, 8000, address)); // not under ax
        await Eventually.UntilAsync(async () => (await node.Shell.RunAsync(CurlStatus($"http://{address}:8000/"))).StdOut == "200",
            TimeSpan.FromSeconds(20), "the plain http.server on the node address");

        await CreateAsync(node, "--ip", Vip, "--backends", address, "--ports", "8080:8000", "--source-ip", address, "ext");
        var through = await node.Shell.RunUnderAxAsync([], CurlBodyAndStatus($"http://{Vip}:8080/"));
        Assert.True(through.ExitCode == 0 && through.StdOut == "plain server\n200", through.Describe());

        var deleted = await node.Shell.AxAsync("del", "vservice", "ext");
        Assert.True(deleted.ExitCode == 0 && deleted.StdOut.Trim() == "Service 'ext' deleted successfully.", deleted.Describe());
        // No longer virtual: the connect goes to the node network, which has no route to it.
        ConnectProbe.AssertOutcome(await node.Shell.RunUnderAxAsync([], ConnectProbe.Command(Vip, 8080)), "ENETUNREACH");
        var again = await node.Shell.AxAsync("delete", "vservice", "ext");
        Assert.True(again.ExitCode == 1 && again.StdErr.Trim() == "ax: vservice 'ext' not found", again.Describe());
    }

    [Theory]
    [InlineData("{not json", 400, "invalid vservice JSON")]
    [InlineData("""{"name":"x","ip":"198.18.9.2","backends":"198.18.1.1","ports":[{"vport":80,"aport":80}]}""", 400, "invalid vservice JSON")]
    [InlineData("""{"name":"x","ip":"198.18.9.2","backends":["198.18.1.1"],"ports":[{"vport":"80","aport":80}]}""", 400, "invalid vservice JSON")]
    [InlineData("""{"name":"x","ip":"198.18.9.2","backends":["198.18.1.1"],"ports":[]}""", 400, "at least one port")]
    [InlineData("""{"name":"x","ip":"198.18.9.2","backends":["198.18.1.1"],"ports":[{"vport":80,"aport":80}],"lbType":"Sticky"}""", 400, "unknown lbtype")]
    [InlineData("""{"name":"x","ip":"198.18.9.2","backends":["198.18.1.1"],"ports":[{"vport":80,"aport":80}]}""", 201, "198.18.9.2")]
    public async Task The_rest_api_refuses_malformed_definitions(string body, int status, string expected)
    {
        await using var node = await SingleNode.StartAsync(output);
        using var http = UnixSocketHttp.Create(node.Agent.ApiSocket, TimeSpan.FromSeconds(10));
        using var response = await http.PostAsync("api/v1/vservices", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status && text.Contains(expected), $"{(int)response.StatusCode} {text}");
        using var missing = await http.DeleteAsync("api/v1/vservices/nope");
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task A_source_ip_that_is_not_local_fails_the_connect()
    {
        await using var node = await SingleNode.StartAsync(output);
        await StartBackendsAsync(node);
        await CreateAsync(node, "--ip", Vip, "--backends", Backends[0], "--ports", "80:80", "--source-ip", "10.99.99.99", "badsrc");
        // The agent's bind to the source IP fails: the app's connect gets that errno.
        ConnectProbe.AssertOutcome(await node.Shell.RunUnderAxAsync([], ConnectProbe.Command(Vip, 80)), "EADDRNOTAVAIL");
    }

    [Fact]
    public async Task The_cli_lists_refuses_mistakes_and_vservices_survive_an_agent_restart()
    {
        await using var node = await SingleNode.StartAsync(output);
        var app = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["sleep", "300"]);
        await Eventually.UntilAsync(async () => (await node.Shell.AxAsync("get", "apps")).StdOut.Contains(VirtualIps.Server),
            TimeSpan.FromSeconds(20), "the app listed");
        await CreateAsync(node, "--ip", Vip, "--backends", "198.18.1.1,198.18.1.2", "--ports", "80:8080,443:8443", "--external", "web");

        var table = await node.Shell.AxAsync("get", "vservices");
        Assert.True(table.ExitCode == 0, table.Describe());
        var lines = table.StdOut.TrimEnd().Split('\n');
        Assert.Equal(["VSNAME", "VSTYPE", "VSIP", "VSPORTS", "VSBACKENDIPS"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["web", "External", Vip, "80:8080,443:8443", "198.18.1.1,198.18.1.2"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var json = await node.Shell.AxAsync("get", "vservices", "-o", "json");
        using (var document = JsonDocument.Parse(json.StdOut))
        {
            var item = document.RootElement.GetProperty("items")[0];
            Assert.Equal(("web", "Random", 8443), (item.GetProperty("name").GetString(), item.GetProperty("lbType").GetString(),
                item.GetProperty("ports")[1].GetProperty("aport").GetInt32()));
        }

        (string[] Args, int Exit, string Line)[] mistakes =
        [
            (["--ip", "1.2.3", "--backends", "198.18.1.1", "--ports", "80:80", "x"], 2, "invalid value \"1.2.3\" for --ip"),
            (["--ip", "198.18.9.2", "--backends", "198.18.1.1", "--ports", "80", "x"], 2, "is not VPORT:APORT"),
            (["--ip", "198.18.9.2", "--backends", "198.18.1.1", "--ports", "80:80", "--lbtype", "Sticky", "x"], 2, "must be Random or RoundRobin"),
            (["--ip", "198.18.9.2", "--ports", "80:80", "x"], 2, "needs --backends"),
            (["--ip", "198.18.9.2", "--backends", "198.18.1.1", "--ports", "80:80", "web"], 1, "ax: vservice 'web' already exists"),
            (["--ip", Vip, "--backends", "198.18.1.1", "--ports", "80:80", "x"], 1, $"ax: ip {Vip} is already used by vservice 'web'"),
            (["--ip", VirtualIps.Server, "--backends", "198.18.1.1", "--ports", "80:80", "x"], 1, $"ax: ip {VirtualIps.Server} is already used by an app"),
        ];
        foreach (var (args, exit, line) in mistakes)
        {
            var result = await node.Shell.AxAsync(["create", "vservice", .. args]);
            Assert.True(result.ExitCode == exit && result.StdErr.Contains(line) && result.StdErr.Trim().Split('\n').Length == 1,
                $"{string.Join(" ", args)}\n{result.Describe()}");
        }

        await node.Agent.KillAsync();
        var restarted = await node.Agent.RestartAsync(node.Network);
        var listed = await new NodeShell(node.Network, restarted).AxAsync("get", "vservices", "-o", "wide");
        Assert.True(listed.ExitCode == 0 && listed.StdOut.Contains("web") && listed.StdOut.Contains("External"), listed.Describe() + restarted.Output);
        GC.KeepAlive(app);
    }
}
