using System.Globalization;
using System.Text.RegularExpressions;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 3: apps' connections follow their service across nodes. A python client's connected UDP socket
/// keeps working when its server moves from n1 to n2 (killed there, started here, same virtual IP); a python client's
/// TCP connection to a node that dies (link cut, agent and server killed) fails with ECONNRESET (an RST the agent
/// injects as from the dead peer) as soon as its node's agent declares that node dead, while its connection to a live
/// node's server is never touched.
/// Times come from the client's own clock lines (`time.time()`), compared with the moment the test saw the agent's view.
/// </summary>
public sealed class SocketFollowTests(ITestOutputHelper output)
{
    private const string Vip = "198.18.19.1", OtherVip = "198.18.19.2";
    private const int Port = 5300;
    private static readonly TimeSpan AntiHang = TimeSpan.FromSeconds(60);

    /// <summary>Answers each datagram with "NAME:datagram".</summary>
    private const string UdpEchoServer = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(sys.argv[2].encode() + b":" + data, peer)
        """;

    /// <summary>One socket, connected once; a request every 100 ms, each answer printed with the client's clock.</summary>
    private const string ConnectedUdpClient = """
        import socket, sys, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((sys.argv[1], int(sys.argv[2])))
        s.settimeout(0.1)
        n = 0
        while True:
            n += 1
            s.send(str(n).encode())
            try:
                print("reply %s %.3f" % (s.recv(2048).decode(), time.time()), flush=True)
                time.sleep(0.1)
            except socket.timeout:
                print("timeout %.3f" % time.time(), flush=True)
            except ConnectionRefusedError:
                print("refused %.3f" % time.time(), flush=True)
                time.sleep(0.1)
        """;

    private const string TcpEchoServer = """
        import socketserver, sys
        class Echo(socketserver.StreamRequestHandler):
            def handle(self):
                for line in self.rfile:
                    self.wfile.write(line)
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer(("0.0.0.0", int(sys.argv[1])), Echo).serve_forever()
        """;

    /// <summary>
    /// Connection A (to argv[1]) waits in recv; connection B (to argv[2]) echoes a ping every 200 ms. Prints how A ends
    /// and every B answer, with the client's clock.
    /// </summary>
    private const string TwoTcpConnections = """
        import errno, socket, sys, threading, time
        a = socket.create_connection((sys.argv[1], int(sys.argv[3])))
        b = socket.create_connection((sys.argv[2], int(sys.argv[3])))
        for s in (a, b):
            s.sendall(b"hello\n")
            assert s.recv(100) == b"hello\n"
        print("ready", flush=True)
        def watch():
            try:
                a.recv(100)
                print("A eof %.3f" % time.time(), flush=True)
            except OSError as e:
                print("A error %s %.3f" % (errno.errorcode.get(e.errno, e.errno), time.time()), flush=True)
        threading.Thread(target=watch, daemon=True).start()
        while True:
            b.sendall(b"ping\n")
            ok = b.recv(100) == b"ping\n"
            print("B %s %.3f" % ("ok" if ok else "bad", time.time()), flush=True)
            time.sleep(0.2)
        """;

    [Fact]
    public async Task A_connected_udp_client_keeps_working_after_its_server_moves_to_another_node()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var service = $"{Vip}:{Port}";
        var first = cluster.Shell(0).StartUnderAx(["--ip", Vip], ["python3", "-c", UdpEchoServer, Port.ToString(), "n1"]);
        await AwaitListedAsync(cluster, 2, service, "n1", first);

        var client = cluster.Shell(2).StartUnderAx(["--ip", VirtualIps.Client], ["python3", "-c", ConnectedUdpClient, Vip, Port.ToString()]);
        await client.WaitForOutputAsync(o => o.Contains("reply n1:"), AntiHang, "the client's first answer from n1");

        // The only instance leaves: nowhere to go, the socket keeps its peer (and its requests go unanswered).
        first.Signal(9);
        await Eventually.UntilAsync(async () => (await cluster.ServersAsync(cluster.Agents[2], service)).Count == 0, AntiHang,
            $"n3 to forget n1's server {service}", () => cluster.Logs());
        await Eventually.UntilAsync(() => cluster.Agents[2].Output.Contains("it keeps its peer"), AntiHang,
            "n3's agent to log that the socket keeps its peer", () => cluster.Logs());

        // The service comes back on n2: the same socket, never reconnected by the client, now reaches n2.
        var second = cluster.Shell(1).StartUnderAx(["--ip", Vip], ["python3", "-c", UdpEchoServer, Port.ToString(), "n2"]);
        await AwaitListedAsync(cluster, 2, service, "n2", second);
        var listed = UnixNow();
        await client.WaitForOutputAsync(o => o.Contains("reply n2:"), AntiHang, "an answer from n2 on the same socket");
        var moved = FirstTime(client.StdOut, @"reply n2:\S+ (\S+)") - listed;
        output.WriteLine($"first answer from n2 {moved * 1000:F0} ms after n3 listed n2's server (the client asks every 100 ms)");
        Assert.True(moved <= 1.0, $"the socket followed its service {moved:F3} s after n3 listed n2's server\n{client.Describe()}\n{cluster.Logs()}");
        Assert.Contains($"connected UDP socket to {service} moved from instance {cluster.Network.Nodes[0].Address}:", cluster.Agents[2].Output);

        var metrics = await MetricsAsync(cluster, 2);
        Assert.Contains("appswitch_sockets_followed_total{outcome=\"repointed\",transport=\"udp\"} 1", metrics);
        Assert.Contains("appswitch_sockets_followed_total{outcome=\"kept\",transport=\"udp\"} 1", metrics);
    }

    [Fact]
    public async Task A_tcp_connection_to_a_dead_node_is_reset_and_one_to_a_live_node_is_untouched()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var doomed = cluster.Shell(0).StartUnderAx(["--ip", Vip], ["python3", "-c", TcpEchoServer, "7000"]);
        var living = cluster.Shell(1).StartUnderAx(["--ip", OtherVip], ["python3", "-c", TcpEchoServer, "7000"]);
        await AwaitListedAsync(cluster, 2, $"{Vip}:7000", "n1", doomed);
        await AwaitListedAsync(cluster, 2, $"{OtherVip}:7000", "n2", living);

        var client = cluster.Shell(2).StartUnderAx(["--ip", VirtualIps.Client], ["python3", "-c", TwoTcpConnections, Vip, OtherVip, "7000"]);
        await client.WaitForOutputAsync(o => o.Contains("B ok"), AntiHang, "both connections up and B echoing");

        // n1 dies: no packet leaves it any more (its link first, so that nothing of it says goodbye), then its agent and server go.
        CommandRunner.Run("ip", "-n", cluster.Network.BridgeNamespace, "link", "set", "vn1", "down").EnsureSuccess();
        await cluster.Agents[0].KillAsync();
        doomed.Signal(9);
        var killed = UnixNow();
        await Eventually.UntilAsync(async () => (await cluster.NodesAsync(cluster.Agents[2])).Any(n => n.Name == "n1" && n.State == "dead"),
            AntiHang, "n3 to declare n1 dead", () => cluster.Logs());
        var dead = UnixNow();
        await client.WaitForOutputAsync(o => o.Contains("A "), TimeSpan.FromSeconds(10), "connection A to end");
        var ended = Regex.Match(client.StdOut, @"A (\S+) (\S+) (\S+)");
        // ECONNABORTED here is the fallback (SOCK_DESTROY): the agent's line below says why no RST was injected.
        Assert.True(ended.Success && ended.Groups[1].Value == "error" && ended.Groups[2].Value == "ECONNRESET",
            $"connection A should have been reset\n{client.Describe()}\n{cluster.Agents[2].Output}");
        var at = double.Parse(ended.Groups[3].Value, CultureInfo.InvariantCulture);
        output.WriteLine($"n1 seen dead on n3 {dead - killed:F2} s after the kill; A reset {at - killed:F2} s after the kill, {at - dead:F2} s after dead was seen");
        var deadLine = Regex.Match(cluster.Agents[2].Output, @"^(\S+Z) .*Member n1: Dead", RegexOptions.Multiline);
        if (deadLine.Success)
            output.WriteLine($"A reset {(at - DateTimeOffset.Parse(deadLine.Groups[1].Value, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 1000.0) * 1000:F0} ms after n3's `Member n1: Dead` line");
        Assert.True(at - dead <= 2.0, $"A was reset {at - dead:F2} s after n3 listed n1 dead\n{client.Describe()}");

        // B, to a live node, goes on echoing after A's end.
        await client.WaitForOutputAsync(o => o.Split('\n').Count(l => l.StartsWith("B ok ") && ParseTime(l) > at) >= 3, AntiHang,
            "three more echoes on B after A ended");
        Assert.DoesNotContain("B bad", client.StdOut);
        Assert.False(client.HasExited, client.Describe());
        Assert.Contains($"TCP connection to {Vip}:7000 reset by an injected RST (the app sees ECONNRESET): its instance {cluster.Network.Nodes[0].Address}:",
            cluster.Agents[2].Output);
        var metrics = await MetricsAsync(cluster, 2);
        Assert.Contains("appswitch_sockets_followed_total{outcome=\"reset\",transport=\"tcp\"} 1", metrics);
    }

    private static async Task AwaitListedAsync(ThreeNodeCluster cluster, int observer, string service, string node, RunningProcess server) =>
        await Eventually.UntilAsync(async () =>
        {
            if (server.HasExited) throw new Xunit.Sdk.XunitException($"the server exited: {server.Describe()}");
            return (await cluster.ServersAsync(cluster.Agents[observer], service)).Any(s => s.NodeId == node);
        }, AntiHang, $"n{observer + 1} to list {node}'s server {service}", () => cluster.Logs());

    private static async Task<string> MetricsAsync(ThreeNodeCluster cluster, int index)
    {
        var scrape = await cluster.Shell(index).RunAsync(["curl", "-sS", "--fail", $"{cluster.Agents[index].RestUrl}/metrics"]);
        Assert.True(scrape.ExitCode == 0, scrape.Describe());
        return scrape.StdOut;
    }

    private static double UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static double ParseTime(string line) => double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture);

    private static double FirstTime(string text, string pattern) =>
        double.Parse(Regex.Match(text, pattern).Groups[1].Value, CultureInfo.InvariantCulture);
}
