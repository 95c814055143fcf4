using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 2: a server under `ax run --ip` sees a client app's virtual IP (and the port the client's own
/// getsockname shows) in accept4 and getpeername, on the same node and across nodes; clients outside AppSwitch keep
/// their real address; `--preserve-client-ip=false` shows the node's address. Real programs: python's socket module
/// (accept4, getpeername, getsockname), nginx's access log, curl.
/// </summary>
public sealed class ClientAddressTests(ITestOutputHelper output)
{
    private const string ServerScript = """
        import socket, sys
        s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sys.argv[1], int(sys.argv[2])))
        s.listen(16)
        print("listening", flush=True)
        while True:
            c, a = s.accept()
            p = c.getpeername()
            print(f"accept {a[0]}:{a[1]} peer {p[0]}:{p[1]}", flush=True)
            c.sendall(b"ok\n")
            c.close()
        """;

    private const string ClientScript = """
        import socket, sys
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
        l = c.getsockname()
        print(f"local {l[0]}:{l[1]}", flush=True)
        print("reply " + c.recv(16).decode().strip(), flush=True)
        """;

    [Theory]
    [InlineData("0.0.0.0", "")]
    [InlineData("::", "::ffff:")] // a dual-stack listener shows v4 peers v4-mapped, as the kernel does
    public async Task A_server_sees_the_client_apps_virtual_ip_on_the_same_node(string bind, string mapped)
    {
        await using var node = await SingleNode.StartAsync(output);
        var (server, client) = Scripts(node.Network.Temp);
        var served = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", server, bind, "80"]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: served);

        var local = await ConnectAsync(node.Shell, ["--ip", VirtualIps.Client], client, VirtualIps.Server, served);
        Assert.StartsWith(VirtualIps.Client + ":", local);
        await ExpectSeenAsync(served, mapped + local, node.Diagnostics);
    }

    [Fact]
    public async Task Across_nodes_an_ax_client_shows_its_virtual_ip_and_a_client_outside_ax_its_real_address()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var (server, client) = Scripts(cluster.Network.Temp);
        var served = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Server], ["python3", server, "0.0.0.0", "80"]);
        var entry = await cluster.Shell(0).WaitForServerAsync($"{VirtualIps.Server}:80", server: served);
        await cluster.Shell(1).WaitForServerAsync($"{VirtualIps.Server}:80");

        var local = await ConnectAsync(cluster.Shell(1), ["--ip", VirtualIps.Client], client, VirtualIps.Server, served);
        Assert.StartsWith(VirtualIps.Client + ":", local);
        await ExpectSeenAsync(served, local, () => cluster.Logs());

        // The same program on the same node, not under ax, dialling the server's node socket: its own address.
        var nodeEndPoint = entry.Ipv4Addr.Split(':');
        var outside = await cluster.Shell(1).RunAsync(["python3", client, nodeEndPoint[0], nodeEndPoint[1]]);
        Assert.True(outside.ExitCode == 0, outside.Describe() + "\n" + served.Describe());
        var outsideLocal = Field(outside.StdOut, "local");
        Assert.StartsWith(cluster.Network.Nodes[1].Address + ":", outsideLocal);
        await ExpectSeenAsync(served, outsideLocal, () => cluster.Logs());
    }

    [Fact]
    public async Task With_preserve_client_ip_false_the_server_sees_the_node_address()
    {
        await using var node = await SingleNode.StartAsync(output, "--preserve-client-ip=false");
        var (server, client) = Scripts(node.Network.Temp);
        var served = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", server, "0.0.0.0", "80"]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: served);

        var local = await ConnectAsync(node.Shell, ["--ip", VirtualIps.Client], client, VirtualIps.Server, served);
        var port = local.Split(':')[1];
        await ExpectSeenAsync(served, $"{node.Node.Address}:{port}", node.Diagnostics);
        Assert.Contains("client IPs not preserved (--preserve-client-ip=false)", node.Diagnostics());
    }

    [Fact]
    public async Task Nginx_access_log_shows_the_client_apps_virtual_ip_across_nodes()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var temp = cluster.Network.Temp;
        var root = DocumentRoot(temp, "www", ("index.html", "logged"));
        var conf = NginxConfig(temp, root, "$remote_addr $request $status");
        var dir = Path.GetDirectoryName(conf)!;
        var accessLog = Path.Combine(dir, "access.log");
        var nginx = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Server],
            ["nginx", "-e", Path.Combine(dir, "stderr.log"), "-c", conf, "-g", "daemon off;"]);
        await cluster.Shell(0).WaitForServerAsync($"{VirtualIps.Server}:80", server: nginx);
        await cluster.Shell(2).WaitForServerAsync($"{VirtualIps.Server}:80");

        var curl = await cluster.Shell(2).RunUnderAxAsync(["--ip", VirtualIps.Other], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
        Assert.True(curl.ExitCode == 0 && curl.StdOut == "logged\n200", curl.Describe() + "\n" + nginx.Describe());
        string? log = null;
        await Eventually.UntilAsync(() =>
            {
                log = File.Exists(accessLog) ? File.ReadAllText(accessLog) : null;
                return Task.FromResult(log?.Contains("GET / HTTP/1.1 200") == true);
            }, TimeSpan.FromSeconds(10), "nginx to log the request", () => log ?? "(no access log)");
        Assert.Equal($"{VirtualIps.Other} GET / HTTP/1.1 200", log!.Trim());
    }

    private static (string Server, string Client) Scripts(TempDirectory temp) =>
        (temp.WriteFile("peer_server.py", ServerScript), temp.WriteFile("peer_client.py", ClientScript));

    /// <summary>Runs the client script; the local ip:port it printed (its getsockname).</summary>
    private static async Task<string> ConnectAsync(NodeShell shell, string[] axOptions, string client, string host, RunningProcess served)
    {
        var result = await shell.RunUnderAxAsync(axOptions, ["python3", client, host, "80"]);
        Assert.True(result.ExitCode == 0 && Field(result.StdOut, "reply") == "ok", result.Describe() + "\n" + served.Describe());
        return Field(result.StdOut, "local");
    }

    /// <summary>Waits for the server's line of that connection: accept4's address and getpeername, both <paramref name="expected"/>.</summary>
    private static async Task ExpectSeenAsync(RunningProcess served, string expected, Func<string> diagnostics)
    {
        var port = expected[(expected.LastIndexOf(':') + 1)..];
        await Eventually.UntilAsync(() => Task.FromResult(served.StdOut.Split('\n').Any(l => l.StartsWith("accept ") && l.Contains(":" + port + " "))),
            TimeSpan.FromSeconds(10), $"the server to print the connection from port {port}", () => served.Describe() + diagnostics());
        var line = served.StdOut.Split('\n').First(l => l.StartsWith("accept ") && l.Contains(":" + port + " "));
        Assert.True(line == $"accept {expected} peer {expected}", $"expected accept/getpeername {expected}, got: {line}\n{served.Describe()}");
    }

    private static string Field(string stdout, string name) =>
        stdout.Split('\n').Select(l => l.Split(' ', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == name)?[1] ?? "(not printed)";
}
