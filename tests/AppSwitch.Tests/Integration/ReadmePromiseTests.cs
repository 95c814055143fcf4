using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 15 point 4: promises of the README that no other test would notice breaking, each checked as a user
/// sees it. The README sentence is quoted above each test.
/// </summary>
public sealed class ReadmePromiseTests(ITestOutputHelper output)
{
    /// <summary>Prints the errno name of a blocking TCP connect to argv[1]:argv[2] ("connected" on success).</summary>
    private const string PythonConnect = """
        import errno, socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect((sys.argv[1], int(sys.argv[2])))
            print("connected")
        except OSError as e:
            print(errno.errorcode.get(e.errno, e.errno))
        """;

    private static async Task<string> ConnectAsync(NodeShell shell, string[] axOptions, string ip, int port)
    {
        var result = await shell.RunUnderAxAsync(axOptions, ["python3", "-c", PythonConnect, ip, port.ToString()]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut.Trim();
    }

    // "Loopback binds stay private to the app."
    [Fact]
    public async Task A_loopback_bind_is_reachable_inside_the_app_and_not_published_as_a_server()
    {
        await using var node = await SingleNode.StartAsync(output);
        // The app listens on 127.0.0.1:8080, reaches it itself, then stays up.
        const string app = """
            import signal, socket
            s = socket.socket(); s.bind(("127.0.0.1", 8080)); s.listen()
            c = socket.create_connection(("127.0.0.1", 8080)); a, _ = s.accept(); c.send(b"own")
            print(a.recv(3).decode(), flush=True)
            signal.pause()
            """;
        await using var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", app]);
        await server.WaitForOutputAsync(o => o.Contains("own"), NodeShell.DefaultTimeout, "the app to reach its own loopback listener");

        Assert.DoesNotContain(await node.Shell.GetAsync<ServerRecord>(), s => s.ServiceAddr.EndsWith(":8080", StringComparison.Ordinal));
        Assert.Equal("ECONNREFUSED", await ConnectAsync(node.Shell, ["--ip", VirtualIps.Client], VirtualIps.Server, 8080));
    }

    // "A connect to VIP:VPORT goes to one backend on APORT. A backend that is an app's virtual IP is reached exactly
    // as a direct connect to it would be (labels included)."
    [Fact]
    public async Task A_vservice_backend_obeys_its_labels()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "prod"));
        await using var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--labels", "zone=prod"], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        const string vip = "198.18.9.1";
        var create = await node.Shell.AxAsync("create", "vservice", "--ip", vip, "--backends", VirtualIps.Server, "--ports", "8080:80", "front");
        Assert.True(create.ExitCode == 0, create.Describe());
        try
        {
            var prod = await node.Shell.RunUnderAxAsync(["--labels", "zone=prod"], CurlBodyAndStatus($"http://{vip}:8080/"));
            Assert.True(prod.ExitCode == 0 && prod.StdOut == "prod\n200", prod.Describe());
            Assert.Equal("ECONNREFUSED", await ConnectAsync(node.Shell, [], vip, 8080));
            Assert.Equal("ECONNREFUSED", await ConnectAsync(node.Shell, ["--labels", "zone=test"], vip, 8080));
        }
        finally
        {
            await node.Shell.AxAsync("delete", "vservice", "front");
        }
    }

    // "With --new-netns=false the application stays in the current namespace; interception still resolves virtual IPs."
    [Fact]
    public async Task An_app_in_the_nodes_namespace_still_reaches_a_virtual_ip()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output, "shared");
        var curl = await node.Shell.RunUnderAxAsync(["--new-netns=false"], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "shared\n200", curl.Describe());
    }

    // "--gossip-port (default 7946): …; 0 turns gossip off (a cluster of one)."
    [Fact]
    public async Task Gossip_port_0_binds_no_gossip_socket_and_the_node_is_a_cluster_of_one()
    {
        await using var node = await SingleNode.StartAsync(output);
        await using var off = await SingleNode.StartAsync(output, "--gossip-port", "0");
        // The reference: an agent with the default port listens there (UDP and TCP).
        var gossip = await node.Shell.RunAsync(["ss", "-Hlntu", "sport = :7946"]);
        Assert.True(gossip.ExitCode == 0 && gossip.StdOut.Contains("udp") && gossip.StdOut.Contains("tcp"), gossip.Describe());
        // With 0 no gossip socket on any port: no UDP socket on the node's address (the agent's others are on loopback).
        var udp = await off.Shell.RunAsync(["ss", "-Hlnu", $"src {off.Node.Address}"]);
        Assert.True(udp.ExitCode == 0 && udp.StdOut.Trim() == "", udp.Describe());

        var nodes = await off.Shell.AxAsync("get", "nodes", "-o", "json");
        Assert.True(nodes.ExitCode == 0, nodes.Describe());
        var self = Assert.Single(AxList<NodeRecord>.Parse(nodes.StdOut).Items);
        Assert.True(self.Self && self.State == "alive", nodes.StdOut);
        // Apps work as on any node.
        var root = DocumentRoot(off.Network.Temp, "www", ("index.html", "alone"));
        await using var server = off.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await off.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        var curl = await off.Shell.RunUnderAxAsync([], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "alone\n200", curl.Describe());
    }

    // "other names are forwarded to --dns-servers … no answer in 2 s from any of them is SERVFAIL" (and the forwarder
    // asks them one after the other).
    [Fact]
    public async Task A_black_holed_forwarder_is_servfail_before_the_clients_timeout_and_the_next_forwarder_answers()
    {
        // A black hole on UDP and TCP: datagrams are read and dropped; TCP connections are completed by the kernel (in
        // the backlog) and never read nor answered.
        const string sink = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 5354))
            t = socket.socket(); t.bind(('127.0.0.1', 5354)); t.listen()
            print('ready', flush=True)
            while True: s.recv(512)
            """;
        var dnsQuery = Path.Combine(RepoLayout.HelpersDir, "dns_query.py");
        var stubServer = Path.Combine(RepoLayout.HelpersDir, "dns_stub_server.py");

        // dns_query.py gives up after 5 s: SERVFAIL must come before that (the README's 2 s, loosely).
        await using (var alone = await SingleNode.StartAsync(output, "--dns-servers", "127.0.0.1:5354"))
        {
            await using var hole = alone.Shell.Start("python3", "-c", sink);
            await hole.WaitForOutputAsync(o => o.Contains("ready"), NodeShell.DefaultTimeout, "the black hole to listen");
            var query = await alone.Shell.RunUnderAxAsync([], ["python3", dnsQuery, "outside.example"]);
            Assert.True(query.ExitCode == 0 && query.StdOut.Trim() == "SERVFAIL", query.Describe());
            var overTcp = await alone.Shell.RunUnderAxAsync([], ["python3", dnsQuery, "--tcp", "outside.example"]);
            Assert.True(overTcp.ExitCode == 0 && overTcp.StdOut.Trim() == "SERVFAIL", overTcp.Describe());
        }

        await using var node = await SingleNode.StartAsync(output, "--dns-servers", "127.0.0.1:5354,127.0.0.1:5353");
        await using var blackHole = node.Shell.Start("python3", "-c", sink);
        await blackHole.WaitForOutputAsync(o => o.Contains("ready"), NodeShell.DefaultTimeout, "the black hole to listen");
        await using var upstream = node.Shell.Start("python3", stubServer, "--port", "5353", "outside.example", "198.18.9.9");
        await upstream.WaitForOutputAsync(o => o.Contains("ready"), NodeShell.DefaultTimeout, "the stub DNS server to listen");
        var answered = await node.Shell.RunUnderAxAsync([], ["python3", dnsQuery, "outside.example"]);
        Assert.True(answered.ExitCode == 0 && answered.StdOut.Trim() == "NOERROR 198.18.9.9", answered.Describe());
    }

    // "The relay adds Via: 1.1 appswitch … to its own answers (502 instance unreachable or bad answer, 503 no instance, …)"
    [Fact]
    public async Task The_relay_answers_502_for_an_instance_that_does_not_speak_http_and_503_when_no_instance_fits()
    {
        await using var node = await SingleNode.StartAsync(output);
        // An `http` instance that answers every request with a line that is not HTTP, then closes.
        const string junk = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9080)); s.listen()
            while True:
                c, _ = s.accept(); c.recv(65536); c.sendall(b"this is not http\r\n\r\n"); c.close()
            """;
        const string ip = "198.18.2.1";
        await using var server = node.Shell.StartUnderAx(["--ip", ip, "--name", "front", "--labels", "version=v1,zone=default", "--protocol", "http"],
            ["python3", "-c", junk]);
        await node.Shell.WaitForServerAsync($"{FrontIp}:9080", server: server);
        await CreateFrontRulesAsync(node);

        foreach (var (header, status) in new[] { ("X-Case: bad", "502"), ("X-Case: none", "503") })
        {
            var curl = await node.Shell.RunUnderAxAsync([], ["curl", "-sS", "-o", "/dev/null", "-D", "-", "--max-time", "20", "-H", header, $"http://{FrontIp}:9080/"]);
            Assert.True(curl.ExitCode == 0, curl.Describe());
            var lines = curl.StdOut.Split("\r\n");
            Assert.True(lines[0].StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal) && lines.Contains("Via: 1.1 appswitch"),
                header + "\n" + curl.Describe());
        }
    }

    /// <summary>A keep-alive HTTP/1.1 server that answers with the Via field it got (only the relay adds one).</summary>
    private const string ViaEchoServer = """
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass
            def do_GET(self):
                body = ("via=" + self.headers.get("Via", "-")).encode()
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
        ThreadingHTTPServer(("0.0.0.0", 9080), H).serve_forever()
        """;

    private const string FrontIp = "198.18.2.1";

    /// <summary>Service `front`: one `http` instance (v1) of <see cref="ViaEchoServer"/> at <see cref="FrontIp"/>:9080, and
    /// <see cref="CreateFrontRulesAsync"/>'s rules.</summary>
    private static async Task<RunningProcess> StartFrontAsync(SingleNode node)
    {
        var server = node.Shell.StartUnderAx(["--ip", FrontIp, "--name", "front", "--labels", "version=v1,zone=default", "--protocol", "http"],
            ["python3", "-c", ViaEchoServer]);
        await node.Shell.WaitForServerAsync($"{FrontIp}:9080", server: server);
        await CreateFrontRulesAsync(node);
        return server;
    }

    /// <summary>Rules that put connections to service `front` through the HTTP relay: requests with `X-Case: none`
    /// to a version no instance has, the others to v1.</summary>
    private static async Task CreateFrontRulesAsync(SingleNode node)
    {
        const string rules = """
            rules:
            - id: front-v1
              priority: 1
              destination: front
              route:
                backends:
                - tags: [version=v1]
            - id: front-none
              priority: 2
              destination: front
              match:
                headers:
                  X-Case: "^none$"
              route:
                backends:
                - tags: [version=v9]
            """;
        var created = await node.Shell.AxAsync("create", "rule", "-f", node.Network.Temp.WriteFile($"front-rules-{Guid.NewGuid():N}.yaml", rules));
        Assert.True(created.ExitCode == 0, created.Describe());
    }

    // "A relayed connection ends at the agent, so unlike direct sockets it does not survive an agent restart (the app
    // sees the connection closed; its next connection goes to the new relay)."
    [Fact]
    public async Task A_relayed_connection_closes_when_the_agent_restarts_and_the_next_one_goes_through_the_new_relay()
    {
        await using var node = await SingleNode.StartAsync(output);
        await using var server = await StartFrontAsync(node);

        // One request, then (when the file appears) a second on the same connection, then one on a new connection.
        const string client = """
            import http.client, os, sys, time
            ip, go = sys.argv[1], sys.argv[2]
            c = http.client.HTTPConnection(ip, 9080, timeout=20)
            c.request("GET", "/"); print("first", c.getresponse().read().decode(), flush=True)
            while not os.path.exists(go): time.sleep(0.05)
            try:
                c.request("GET", "/"); print("same", c.getresponse().read().decode(), flush=True)
            except (http.client.HTTPException, OSError) as e:
                print("closed", type(e).__name__, flush=True)
            n = http.client.HTTPConnection(ip, 9080, timeout=20)
            n.request("GET", "/"); print("next", n.getresponse().read().decode(), flush=True)
            """;
        var go = Path.Combine(node.Network.Temp.Path, "go");
        await using var app = node.Shell.StartUnderAx([], ["python3", "-c", client, FrontIp, go]);
        await app.WaitForOutputAsync(o => o.Contains("first via=1.1 appswitch"), NodeShell.DefaultTimeout, "the first request through the relay");

        await node.Agent.KillAsync();
        await using var restarted = await node.Agent.RestartAsync(node.Network);
        File.WriteAllText(go, "");
        var result = await app.WaitForExitAsync(NodeShell.DefaultTimeout);
        Assert.True(result.ExitCode == 0 && result.StdOut.Contains("\nclosed ") && result.StdOut.Contains("\nnext via=1.1 appswitch"),
            result.Describe() + restarted.Output);
    }

    // "a new agent republishes the servers whose sockets still exist and drops apps that died meanwhile."
    [Fact]
    public async Task A_restarted_agent_drops_an_app_that_died_while_no_agent_ran_and_keeps_the_live_one()
    {
        await using var node = await SingleNode.StartAsync(output);
        var servers = new List<RunningProcess>();
        foreach (var ip in new[] { VirtualIps.Server, VirtualIps.Other })
        {
            var root = DocumentRoot(node.Network.Temp, ip, ("index.html", ip));
            servers.Add(node.Shell.StartUnderAx(["--ip", ip], PythonHttpServer(root)));
            await node.Shell.WaitForServerAsync($"{ip}:80", server: servers[^1]);
        }
        await using var live = servers[0];
        await using var dying = servers[1];

        await node.Agent.KillAsync();
        dying.Signal(9);
        await dying.WaitForExitAsync(NodeShell.DefaultTimeout);
        await using var restarted = await node.Agent.RestartAsync(node.Network);
        var shell = new NodeShell(node.Network, restarted);

        await shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: live);
        Assert.Equal([VirtualIps.Server], (await shell.GetAsync<AppRecord>()).Select(a => a.AppIp));
        Assert.DoesNotContain(await shell.GetAsync<ServerRecord>(), s => s.ServiceAddr.StartsWith(VirtualIps.Other + ":", StringComparison.Ordinal));
        var curl = await shell.RunUnderAxAsync([], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == $"{VirtualIps.Server}\n200", curl.Describe());
        // Its address is no app's any more: it goes to the node's network, where test nodes have no route.
        Assert.Equal("ENETUNREACH", await ConnectAsync(shell, [], VirtualIps.Other, 80));
    }

    // "This holds across nodes (labels replicate with the apps)." and "A rule belongs to the node where it was created
    // (like a vservice): … goes away with its node." ("… it disappears with its node when that node dies or leaves.")
    [Fact]
    public async Task Labels_hold_on_another_node_and_a_rule_and_a_vservice_leave_with_their_node()
    {
        await using var network = TestNetwork.Create(2);
        string[] flags = ["--neighbors", string.Join(",", network.Nodes.Select(n => n.Address)), "--cluster", "axtest", "--gossip-key", ThreeNodeCluster.NewKey()];
        var agents = await Task.WhenAll(network.Nodes.Select(n => AgentProcess.StartAsync(network, n, AgentProcess.DefaultRestPort, flags)));
        try
        {
            var owner = new NodeShell(network, agents[0]);
            var other = new NodeShell(network, agents[1]);
            var root = DocumentRoot(network.Temp, "www", ("index.html", "prod"));
            await using var server = owner.StartUnderAx(["--ip", VirtualIps.Server, "--labels", "zone=prod"], PythonHttpServer(root));
            await owner.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
            await other.WaitForServerAsync($"{VirtualIps.Server}:80");

            var prod = await other.RunUnderAxAsync(["--labels", "zone=prod"], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
            Assert.True(prod.ExitCode == 0 && prod.StdOut == "prod\n200", prod.Describe());
            Assert.Equal("ECONNREFUSED", await ConnectAsync(other, [], VirtualIps.Server, 80));
            Assert.Equal("ECONNREFUSED", await ConnectAsync(other, ["--labels", "zone=test"], VirtualIps.Server, 80));

            const string rule = "rules:\n- id: owned-by-n1\n  destination: web\n  route:\n    backends:\n    - tags: [version=v1]\n";
            var created = await owner.AxAsync("create", "rule", "-f", network.Temp.WriteFile("owned.yaml", rule));
            Assert.True(created.ExitCode == 0, created.Describe());
            var vservice = await owner.AxAsync("create", "vservice", "--ip", "198.18.9.1", "--backends", VirtualIps.Server, "--ports", "80:80", "owned");
            Assert.True(vservice.ExitCode == 0, vservice.Describe());
            await Eventually.UntilAsync(async () => await ListsAsync(other, "rules", "owned-by-n1") && await ListsAsync(other, "vservices", "\"owned\""),
                TimeSpan.FromSeconds(30), "n2 to learn n1's rule and vservice", () => agents[1].Output);

            Assert.Equal(0, await agents[0].StopAsync()); // SIGTERM: n1 leaves
            await Eventually.UntilAsync(async () => !await ListsAsync(other, "rules", "owned-by-n1") && !await ListsAsync(other, "vservices", "\"owned\""),
                TimeSpan.FromSeconds(30), "n2 to drop the rule and the vservice of n1, which left", () => agents[1].Output);
        }
        finally
        {
            foreach (var agent in agents)
            {
                output.WriteLine(agent.Output);
                await agent.DisposeAsync();
            }
        }
    }

    /// <summary>Whether `ax get RESOURCE -o json` on <paramref name="shell"/>'s node contains <paramref name="text"/>.</summary>
    private static async Task<bool> ListsAsync(NodeShell shell, string resource, string text)
    {
        var listed = await shell.AxAsync("get", resource, "-o", "json");
        Assert.True(listed.ExitCode == 0, listed.Describe());
        return listed.StdOut.Contains(text, StringComparison.Ordinal);
    }

    // "Clients outside AppSwitch (through --expose or external vservices) get the L4 part of the rules only."
    [Fact]
    public async Task A_client_outside_AppSwitch_gets_no_request_level_rules()
    {
        await using var node = await SingleNode.StartAsync(output);
        await using var server = await StartFrontAsync(node);
        var created = await node.Shell.AxAsync("create", "vservice", "--external", "--ip", "198.18.9.1", "--backends", FrontIp, "--ports", "8081:9080", "ext");
        Assert.True(created.ExitCode == 0, created.Describe());

        // The reference: an app sending `X-Case: none` gets the relay's 503.
        var app = await node.Shell.RunUnderAxAsync([], ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Case: none", $"http://{FrontIp}:9080/"]);
        Assert.True(app.ExitCode == 0 && app.StdOut == "503", app.Describe());
        // A plain curl on the node, through the external vservice: straight to the instance, no relay.
        var url = $"http://{node.Node.Address}:8081/";
        CommandResult? outside = null;
        await Eventually.UntilAsync(async () =>
        {
            outside = await node.Shell.RunAsync(["curl", "-sS", "--max-time", "10", "-H", "X-Case: none", "-w", "\n%{http_code}", url]);
            return outside.ExitCode == 0;
        }, NodeShell.DefaultTimeout, $"the external vservice's relay at {url}", () => outside?.Describe() ?? "");
        Assert.Equal("via=-\n200", outside!.StdOut);
    }
}
