using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// UDP without connect (issue 19 point 1): sendto/sendmsg to a virtual IP on a socket the app made itself reaches the
/// server the table chooses, and recvfrom/recvmsg show the virtual ip:port the app sent to as the answer's source.
/// </summary>
public sealed class UnconnectedUdpTests(ITestOutputHelper output)
{
    private const string Port = "5300";

    private const string EchoServer = UdpTests.EchoServer;

    /// <summary>
    /// A fresh socket, never bound nor connected: sendto + recvfrom, then sendmsg + recvmsg (the filter traps neither),
    /// each answer printed with the source the kernel reports.
    /// </summary>
    private const string UnconnectedClient = """
        import socket, sys
        family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(5)
        to = (sys.argv[1], int(sys.argv[2]))
        s.sendto(b"one", to)
        data, peer = s.recvfrom(2048)
        print(data.decode(), peer[0] + ":" + str(peer[1]))
        s.sendmsg([b"two"], [], 0, to)
        data, _, _, peer = s.recvmsg(2048)
        print(data.decode(), peer[0] + ":" + str(peer[1]))
        """;

    [Fact]
    public async Task Sendto_on_a_fresh_socket_reaches_a_server_on_another_node_and_answers_come_from_the_virtual_ip()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var server = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", EchoServer, Port]);
        await cluster.Shell(0).WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);
        await cluster.Shell(1).WaitForServerAsync($"{VirtualIps.Server}:{Port}");

        var client = await cluster.Shell(1).RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", UnconnectedClient, VirtualIps.Server, Port]);
        Assert.True(client.ExitCode == 0, client.Describe() + server.Describe() + cluster.Logs());
        Assert.Equal($"ONE {VirtualIps.Server}:{Port}\nTWO {VirtualIps.Server}:{Port}", client.StdOut.Trim());
    }

    [Fact]
    public async Task A_dual_stack_socket_and_an_app_in_the_nodes_namespace_see_the_virtual_ip_too()
    {
        await using var node = await SingleNode.StartAsync(output);
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", EchoServer, Port]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);

        var v6 = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", UnconnectedClient, $"::ffff:{VirtualIps.Server}", Port]);
        Assert.True(v6.ExitCode == 0, v6.Describe() + server.Describe() + node.Diagnostics());
        Assert.Equal($"ONE ::ffff:{VirtualIps.Server}:{Port}\nTWO ::ffff:{VirtualIps.Server}:{Port}", v6.StdOut.Trim());

        var shared = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Other, "--new-netns=false"],
            ["python3", "-c", UnconnectedClient, VirtualIps.Server, Port]);
        Assert.True(shared.ExitCode == 0, shared.Describe() + server.Describe() + node.Diagnostics());
        Assert.Equal($"ONE {VirtualIps.Server}:{Port}\nTWO {VirtualIps.Server}:{Port}", shared.StdOut.Trim());
    }

    /// <summary>A DNS server answering every A question with 192.0.2.7 (and other types with no records), on UDP port 53.</summary>
    private const string DnsServer = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 53))
        print("bound", flush=True)
        while True:
            query, peer = s.recvfrom(512)
            end = 12
            while query[end] != 0:
                end += 1 + query[end]
            question = query[12:end + 5]
            is_a = query[end + 1:end + 3] == b"\x00\x01"
            answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, 7]) if is_a else b""
            header = query[:2] + b"\x81\x80\x00\x01" + (b"\x00\x01" if is_a else b"\x00\x00") + b"\x00\x00\x00\x00"
            s.sendto(header + question + answer, peer)
        """;

    [Fact]
    public async Task Dig_and_busybox_nslookup_ask_a_dns_server_on_a_virtual_ip()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var server = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-u", "-c", DnsServer]);
        await cluster.Shell(0).WaitForServerAsync($"{VirtualIps.Server}:53", server: server);
        await cluster.Shell(1).WaitForServerAsync($"{VirtualIps.Server}:53");

        var dig = await cluster.Shell(1).RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["dig", $"@{VirtualIps.Server}", "+short", "+tries=1", "+timeout=3", "web.example.test", "A"]);
        Assert.True(dig.ExitCode == 0 && dig.StdOut.Trim() == "192.0.2.7", dig.Describe() + server.Describe() + cluster.Logs());

        var nslookup = await cluster.Shell(1).RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["busybox", "nslookup", "-type=a", "web.example.test", VirtualIps.Server]);
        Assert.True(nslookup.ExitCode == 0 && nslookup.StdOut.Contains("Address: 192.0.2.7"), nslookup.Describe() + server.Describe());
    }

    /// <summary>A statsd client: counters sent with sendto on one fresh socket, fire and forget, until told to stop.</summary>
    private const string StatsdSender = """
        import socket, sys, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(200):
            s.sendto(b"app.requests:1|c|#n:%d" % i, (sys.argv[1], int(sys.argv[2])))
            time.sleep(0.02)
        """;

    [Fact]
    public async Task A_statsd_sender_reaches_a_socat_receiver_on_another_node()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var receiver = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Server], ["socat", "-u", "UDP-RECV:8125", "STDOUT"]);
        await cluster.Shell(0).WaitForServerAsync($"{VirtualIps.Server}:8125", server: receiver);
        await cluster.Shell(1).WaitForServerAsync($"{VirtualIps.Server}:8125");

        await using var sender = cluster.Shell(1).StartUnderAx(["--ip", VirtualIps.Client], ["python3", "-c", StatsdSender, VirtualIps.Server, "8125"]);
        await receiver.WaitForOutputAsync(o => o.Contains("app.requests:1|c|#n:") && o.Split("app.requests").Length > 5,
            TimeSpan.FromSeconds(15), "five counters at the receiver");
        Assert.False(sender.StdErr.Contains("Error"), sender.Describe());
    }

    /// <summary>For each destination, on fresh sockets: connect's errno and sendto's, as "ADDR connect=X sendto=Y".</summary>
    private const string ErrnoProbe = """
        import errno, socket, sys
        def attempt(call):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                call(s)
                return "ok"
            except OSError as e:
                return errno.errorcode[e.errno]
        for target in sys.argv[1:]:
            host, port = target.rsplit(":", 1)
            to = (host, int(port))
            print(target, "connect=" + attempt(lambda s: s.connect(to)), "sendto=" + attempt(lambda s: s.sendto(b"x", to)))
        """;

    [Fact]
    public async Task A_sendto_the_agent_refuses_gets_the_errno_connect_gets()
    {
        // Egress deny: a node-network address is refused; the agent's gossip port on the node address and a virtual IP
        // without a server on that port are refused under any policy.
        await using var node = await SingleNode.StartAsync(output, "--egress", "deny");
        var gossip = $"{node.Node.Address}:7946";
        var targets = new[] { $"{VirtualIps.Server}:9999", gossip, "10.77.0.250:9" };
        var probe = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], ["python3", "-c", ErrnoProbe, .. targets]);
        Assert.True(probe.ExitCode == 0, probe.Describe() + node.Diagnostics());
        Assert.Equal(string.Join("\n", targets.Select(t => $"{t} connect=ECONNREFUSED sendto=ECONNREFUSED")), probe.StdOut.Trim());
    }

    /// <summary>connect, send, then recvfrom: the source a connected socket's answer shows.</summary>
    private const string ConnectedRecvfrom = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.connect((sys.argv[1], int(sys.argv[2])))
        s.send(b"three")
        data, peer = s.recvfrom(2048)
        print(data.decode(), peer[0] + ":" + str(peer[1]))
        """;

    [Fact]
    public async Task A_connected_udp_socket_sees_the_virtual_ip_in_recvfrom()
    {
        await using var node = await SingleNode.StartAsync(output);
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", EchoServer, Port]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);

        var client = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], ["python3", "-c", ConnectedRecvfrom, VirtualIps.Server, Port]);
        Assert.True(client.ExitCode == 0, client.Describe() + server.Describe() + node.Diagnostics());
        Assert.Equal($"THREE {VirtualIps.Server}:{Port}", client.StdOut.Trim());
    }
}
