using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 5 point 1: the agent's DNS. Apps in their own network namespace ask 127.0.0.1:53 there (their private
/// resolv.conf says so); the agent answers app and vservice names and forwards the rest. The upstream in these
/// tests is always a stub server inside the node namespace (never the machine's resolver).
/// </summary>
[Collection(HostGlobalCollection.Name)]
public sealed class DnsTests(ITestOutputHelper output)
{
    private const int UpstreamPort = 5353;
    private const string Upstream = "127.0.0.1:5353";
    private static readonly string DnsQuery = Path.Combine(RepoLayout.HelpersDir, "dns_query.py");
    private static readonly string StubServer = Path.Combine(RepoLayout.HelpersDir, "dns_stub_server.py");

    private static Task<SingleNode> StartNodeAsync(ITestOutputHelper output, params string[] flags) =>
        SingleNode.StartAsync(output, ["--dns-servers", Upstream, .. flags]);

    /// <summary>Starts a python web server named <paramref name="name"/> (no --ip) and waits until it listens; returns its auto IP.</summary>
    private static async Task<string> StartNamedServerAsync(SingleNode node, string name, string content)
    {
        var root = DocumentRoot(node.Network.Temp, name, ("index.html", content));
        var server = node.Shell.StartUnderAx(["--name", name], PythonHttpServer(root));
        var app = await node.Shell.WaitForAppAsync(name, app: server);
        await node.Shell.WaitForServerAsync($"{app.AppIp}:80", server: server);
        return app.AppIp;
    }

    private static async Task<string> QueryAsync(NodeShell shell, string name, params string[] flags)
    {
        var result = await shell.RunUnderAxAsync([], ["python3", DnsQuery, .. flags, name]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut.Trim();
    }

    [Fact]
    public async Task A_named_app_gets_a_pool_address_that_curl_and_python_reach_by_name()
    {
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "hello by name");
        Assert.StartsWith("198.19.", ip);

        foreach (var url in new[] { "http://web/", "http://web.appswitch.local/", "http://WEB.AppSwitch.Local./" })
        {
            var curl = await node.Shell.RunUnderAxAsync([], CurlBodyAndStatus(url));
            Assert.True(curl.ExitCode == 0 && curl.StdOut == "hello by name\n200", url + "\n" + curl.Describe() + node.Diagnostics());
        }
        var python = await node.Shell.RunUnderAxAsync([],
            ["python3", "-c", "import socket; print(sorted({a[4][0] for a in socket.getaddrinfo('web', 80)}))"]);
        Assert.True(python.ExitCode == 0 && python.StdOut.Trim() == $"['{ip}']", python.Describe());
    }

    [Fact]
    public async Task Static_busybox_resolves_and_fetches_by_name()
    {
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "hello busybox");

        var lookup = await node.Shell.RunUnderAxAsync([], ["busybox", "nslookup", "web"]);
        Assert.True(lookup.ExitCode == 0 && lookup.StdOut.Contains(ip), lookup.Describe());
        var wget = await node.Shell.RunUnderAxAsync([], ["busybox", "wget", "-q", "-O", "-", "http://web.appswitch.local/"]);
        Assert.True(wget.ExitCode == 0 && wget.StdOut == "hello busybox", wget.Describe());
    }

    [Fact]
    public async Task Named_apps_started_at_once_get_different_pool_addresses_until_the_pool_is_full()
    {
        await using var node = await StartNodeAsync(output, "--ip-pool", "198.19.7.0/30"); // two addresses
        var ips = await Task.WhenAll(StartNamedServerAsync(node, "one", "1"), StartNamedServerAsync(node, "two", "2"));
        Assert.Equal(["198.19.7.1", "198.19.7.2"], ips.Order());

        var full = await node.Shell.RunUnderAxAsync(["--name", "three"], ["true"]);
        Assert.True(full.ExitCode == 1 && full.StdErr == "ax: no free virtual IP left in the pool 198.19.7.0/30 (give one with --ip)\n",
            full.Describe());
        var explicitIp = await node.Shell.RunUnderAxAsync(["--name", "three", "--ip", VirtualIps.Other], ["true"]);
        Assert.True(explicitIp.ExitCode == 0, explicitIp.Describe());
    }

    [Fact]
    public async Task A_static_musl_program_resolves_by_name()
    {
        // musl's resolver binds its UDP socket to 0.0.0.0:0 and then uses sendto, which the agent never sees.
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "x");
        var resolve = await HelperPrograms.BuildAsync("resolve", isStatic: true, compiler: "musl-gcc");

        foreach (var name in new[] { "web", "web.appswitch.local" })
        {
            var result = await node.Shell.RunUnderAxAsync([], [resolve, name]);
            Assert.True(result.ExitCode == 0 && result.StdOut == ip + "\n", name + "\n" + result.Describe() + node.Diagnostics());
        }
    }

    [Fact]
    public async Task A_socket_already_moved_to_the_node_still_reaches_the_dns_at_127_0_0_1()
    {
        // Bound to a fixed port first, the UDP socket becomes a node socket (a published UDP server); its later
        // connect to 127.0.0.1:53 is sent to the agent's DNS in the node namespace.
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "x");
        const string client =
            "import socket, struct\n" +
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5000)); s.connect(('127.0.0.1', 53))\n" +
            "s.send(struct.pack('>HHHHHH', 7, 0x0100, 1, 0, 0, 0) + b'\\x03web\\x00' + struct.pack('>HH', 1, 1))\n" +
            "s.settimeout(5); answer = s.recv(512)\n" +
            "print(struct.unpack('>H', answer[6:8])[0], socket.inet_ntoa(answer[-4:]))\n";
        var result = await node.Shell.RunUnderAxAsync([], ["python3", "-c", client]);
        // One answer carrying the virtual IP of "web": only the agent's DNS knows that name.
        Assert.True(result.ExitCode == 0 && result.StdOut.Trim() == $"1 {ip}", result.Describe() + node.Diagnostics());
    }

    [Fact]
    public async Task Unknown_names_in_the_domain_are_nxdomain_and_known_names_have_no_ipv6()
    {
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "x");

        Assert.Equal("NXDOMAIN", await QueryAsync(node.Shell, "nosuch.appswitch.local"));
        Assert.Equal($"NOERROR {ip}", await QueryAsync(node.Shell, "web.appswitch.local", "--tcp"));
        Assert.Equal("NOERROR", await QueryAsync(node.Shell, "web", "--type", "AAAA"));
        var python = await node.Shell.RunUnderAxAsync([],
            ["python3", "-c", "import socket\ntry:\n socket.getaddrinfo('nosuch.appswitch.local', 80)\nexcept socket.gaierror as e:\n print(e.errno == socket.EAI_NONAME)"]);
        Assert.True(python.ExitCode == 0 && python.StdOut.Trim() == "True", python.Describe());
    }

    [Fact]
    public async Task Other_names_are_forwarded_over_udp_and_tcp_and_a_dead_upstream_is_servfail()
    {
        await using var node = await StartNodeAsync(output);
        // No upstream yet: the forwarder's timeout ends in SERVFAIL.
        Assert.Equal("SERVFAIL", await QueryAsync(node.Shell, "outside.example"));

        await using var upstream = node.Shell.Start("python3", StubServer, "--port", UpstreamPort.ToString(), "outside.example", "198.18.9.9");
        await upstream.WaitForOutputAsync(o => o.Contains("ready"), NodeShell.DefaultTimeout, "the stub DNS server to listen");
        Assert.Equal("NOERROR 198.18.9.9", await QueryAsync(node.Shell, "outside.example"));
        Assert.Equal("NOERROR 198.18.9.9", await QueryAsync(node.Shell, "outside.example", "--tcp"));
        Assert.Equal("NXDOMAIN", await QueryAsync(node.Shell, "other.example"));
        var python = await node.Shell.RunUnderAxAsync([],
            ["python3", "-c", "import socket; print(socket.gethostbyname('outside.example'))"]);
        Assert.True(python.ExitCode == 0 && python.StdOut.Trim() == "198.18.9.9", python.Describe());
    }

    [Fact]
    public async Task An_app_sharing_the_nodes_network_resolves_through_the_agent_when_it_asks_the_nodes_nameserver()
    {
        // Such an app reads the node's resolv.conf (this machine's): glibc connects a UDP socket to the nameserver and
        // accepts only answers from that address. The test network has no route out: without the agent nothing answers.
        var nameservers = File.ReadAllLines("/etc/resolv.conf").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 2 && w[0] == "nameserver" && System.Net.IPAddress.TryParse(w[1], out var a)
                && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).ToList();
        Assert.True(nameservers.Count > 0, "this machine's /etc/resolv.conf names no IPv4 nameserver: nothing to redirect");
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "shared namespace");
        await using var upstream = node.Shell.Start("python3", StubServer, "--port", UpstreamPort.ToString(), "outside.example", "198.18.9.9");
        await upstream.WaitForOutputAsync(o => o.Contains("ready"), NodeShell.DefaultTimeout, "the stub DNS server to listen");

        var curl = await node.Shell.RunUnderAxAsync(["--new-netns=false"], CurlBodyAndStatus("http://web.appswitch.local./"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "shared namespace\n200", curl.Describe() + node.Diagnostics());
        var python = await node.Shell.RunUnderAxAsync(["--new-netns=false"],
            ["python3", "-c", "import socket; print(socket.gethostbyname('web.appswitch.local.'), socket.gethostbyname('outside.example.'))"]);
        Assert.True(python.ExitCode == 0 && python.StdOut.Trim() == $"{ip} 198.18.9.9", python.Describe() + node.Diagnostics());
    }

    [Fact]
    public async Task A_vservice_name_resolves_to_its_virtual_ip()
    {
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "behind a vservice");
        var create = await node.Shell.AxAsync("create", "vservice", "front", "--ip", VirtualIps.Other, "--ports", "8080:80", "--backends", ip);
        Assert.True(create.ExitCode == 0, create.Describe());

        Assert.Equal($"NOERROR {VirtualIps.Other}", await QueryAsync(node.Shell, "front"));
        var curl = await node.Shell.RunUnderAxAsync([], CurlBodyAndStatus("http://front.appswitch.local:8080/"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "behind a vservice\n200", curl.Describe());
    }

    [Fact]
    public async Task Only_the_app_sees_the_agents_resolv_conf_and_override_false_or_dns_false_keep_the_nodes()
    {
        var hostFile = File.ReadAllText("/etc/resolv.conf");
        await using (var node = await StartNodeAsync(output))
        {
            var overridden = await node.Shell.RunUnderAxAsync([], ["cat", "/etc/resolv.conf"]);
            Assert.True(overridden.ExitCode == 0 && overridden.StdOut.Contains("nameserver 127.0.0.1\n")
                && overridden.StdOut.Contains("search appswitch.local"), overridden.Describe());
            var kept = await node.Shell.RunUnderAxAsync(["--dns-override=false"], ["cat", "/etc/resolv.conf"]);
            Assert.True(kept.ExitCode == 0 && kept.StdOut == hostFile, kept.Describe());
            var sameNetns = await node.Shell.RunUnderAxAsync(["--new-netns=false"], ["cat", "/etc/resolv.conf"]);
            Assert.True(sameNetns.ExitCode == 0 && sameNetns.StdOut == hostFile, sameNetns.Describe());
            Assert.Equal(hostFile, File.ReadAllText("/etc/resolv.conf"));
        }
        await using (var node = await StartNodeAsync(output, "--dns=false"))
        {
            var off = await node.Shell.RunUnderAxAsync([], ["cat", "/etc/resolv.conf"]);
            Assert.True(off.ExitCode == 0 && off.StdOut == hostFile, off.Describe());
            var nobodyListens = await node.Shell.RunUnderAxAsync([], ["python3", DnsQuery, "web"]);
            Assert.True(nobodyListens.ExitCode == 1 && nobodyListens.StdErr == "no answer within 5 s\n", nobodyListens.Describe());
        }
        Assert.Equal(hostFile, File.ReadAllText("/etc/resolv.conf"));
    }

    [Fact]
    public async Task Bad_dns_packets_do_not_stop_the_server()
    {
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "x");
        const string garbage =
            "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
            "for p in [b'\\x01', b'\\x12\\x34' + b'\\x00' * 10, b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\xc0\\x0c', b'\\xff' * 40]:\n" +
            "    s.sendto(p, ('127.0.0.1', 53))\n" +
            "t = socket.create_connection(('127.0.0.1', 53)); t.sendall(b'\\x00\\x05abc'); t.close()\n";
        var sent = await node.Shell.RunUnderAxAsync([], ["python3", "-c", garbage]);
        Assert.True(sent.ExitCode == 0, sent.Describe());

        Assert.Equal($"NOERROR {ip}", await QueryAsync(node.Shell, "web"));
    }

    [Fact]
    public async Task A_restarted_agent_answers_on_the_dns_sockets_of_apps_that_were_running()
    {
        await using var node = await StartNodeAsync(output);
        var ip = await StartNamedServerAsync(node, "web", "x");
        // The client waits on a FIFO until the agent has been replaced, then asks.
        var fifo = Path.Combine(node.Network.Temp.Path, "go");
        var mkfifo = await node.Shell.RunAsync(["mkfifo", fifo]);
        Assert.True(mkfifo.ExitCode == 0, mkfifo.Describe());
        var client = node.Shell.StartUnderAx([], ["bash", "-c", $"read line < {fifo}; python3 {DnsQuery} web; python3 {DnsQuery} --tcp web"]);
        await Eventually.UntilAsync(async () => (await node.Shell.GetAsync<AppRecord>()).Count == 2, NodeShell.DefaultTimeout,
            "the waiting client in `ax get apps`", () => client.Describe());

        await node.Agent.KillAsync();
        var restarted = await node.Agent.RestartAsync(node.Network);
        // Opening a FIFO for writing blocks until its reader opens it: a client that died instead fails the test, not hang it.
        var go = File.WriteAllTextAsync(fifo, "go\n");
        if (await Task.WhenAny(go, Task.Delay(NodeShell.DefaultTimeout)) != go)
        {
            await using (new FileStream(fifo, FileMode.Open, FileAccess.Read)) { } // pairs with the blocked writer, which then ends
            Assert.Fail("the waiting client never read its FIFO after the restart\n" + client.Describe() + restarted.Output);
        }
        var result = await client.WaitForExitAsync(NodeShell.DefaultTimeout);
        Assert.True(result.ExitCode == 0 && result.StdOut == $"NOERROR {ip}\nNOERROR {ip}\n", result.Describe() + restarted.Output);
    }

    [Fact]
    public async Task Dns_flags_with_bad_values_are_refused_with_one_line()
    {
        await using var network = TestNetwork.Create(1);
        var shell = new NodeShell(network, network.Nodes[0], Path.Combine(network.Temp.Path, "sock"));
        foreach (var (flag, expected) in new[]
        {
            ("--dns-servers=8.8.8.8:99999", "--dns-servers"), ("--dns-domain=bad_domain", "--dns-domain"),
            ("--ip-pool=198.19.0.1/16", "host bits"), ("--ip-pool=10.0.0.0", "--ip-pool"), ("--dns=maybe", "--dns"),
        })
        {
            var result = await shell.AxAsync("daemon", "--socket-dir", shell.SocketDir, flag);
            Assert.True(result.ExitCode == 2 && result.StdErr.Contains(expected) && result.StdErr.Trim().Split('\n').Length == 1,
                flag + "\n" + result.Describe());
        }
    }
}
