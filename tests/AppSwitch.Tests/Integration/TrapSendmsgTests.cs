using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// `ax run --trap-sendmsg` (issue 19 point 1): a UDP socket whose first send is a sendmsg or sendmmsg to a virtual IP
/// (Node.js dgram, QUIC stacks, Go's WriteMsgUDP) reaches the server the table chooses and sees answers from the virtual
/// ip:port; without the flag such a socket gets ENETUNREACH (the default: sendmsg is not trapped). TCP's sendmsg keeps
/// working under the flag, and malformed headers from the app's memory get the kernel's own errnos.
/// </summary>
public sealed class TrapSendmsgTests(ITestOutputHelper output)
{
    private const string Port = "5300";

    /// <summary>Node.js dgram (libuv sends with sendmsg): one datagram, then the answer and its source, or the send's error code.</summary>
    private const string NodeDgramClient = """
        const dgram = require('dgram');
        const s = dgram.createSocket('udp4');
        const timer = setTimeout(() => { console.log('timeout'); process.exit(1); }, 10000);
        s.on('message', (m, r) => { console.log(m.toString(), r.address + ':' + r.port); clearTimeout(timer); s.close(); });
        s.send('hello', Number(process.argv[2]), process.argv[1], e => {
            if (e) { console.log('error', e.code); clearTimeout(timer); s.close(); }
        });
        """;

    [Fact]
    public async Task A_node_dgram_client_reaches_a_server_on_another_node_with_the_flag_and_gets_enetunreach_without()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var server = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", UdpTests.EchoServer, Port]);
        await cluster.Shell(0).WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);
        await cluster.Shell(1).WaitForServerAsync($"{VirtualIps.Server}:{Port}");

        var trapped = await cluster.Shell(1).RunUnderAxAsync(["--ip", VirtualIps.Client, "--trap-sendmsg"],
            ["node", "-e", NodeDgramClient, VirtualIps.Server, Port]);
        Assert.True(trapped.ExitCode == 0, trapped.Describe() + server.Describe() + cluster.Logs());
        Assert.Equal($"HELLO {VirtualIps.Server}:{Port}", trapped.StdOut.Trim());

        var untrapped = await cluster.Shell(1).RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["node", "-e", NodeDgramClient, VirtualIps.Server, Port]);
        Assert.True(untrapped.ExitCode == 0, untrapped.Describe());
        Assert.Equal("error ENETUNREACH", untrapped.StdOut.Trim());
    }

    /// <summary>
    /// A fresh UDP socket whose first call is sendmsg (to argv[1]:argv[2]), then recvmsg; a TCP connection (to argv[3]:argv[4])
    /// written with sendmsg.
    /// </summary>
    private const string SendmsgClients = """
        import socket, sys
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.sendmsg([b"fir", b"st"], [], 0, (sys.argv[1], int(sys.argv[2])))
        data, _, _, peer = u.recvmsg(2048)
        print(data.decode(), peer[0] + ":" + str(peer[1]))
        t = socket.create_connection((sys.argv[3], int(sys.argv[4])), timeout=5)
        t.sendmsg([b"tcp ", b"line\n"])
        print(t.makefile().readline().strip())
        """;

    private const string TcpEchoServer = """
        import socket, sys
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        s.listen()
        while True:
            c, _ = s.accept()
            c.sendall(c.makefile("rb").readline())
            c.close()
        """;

    [Fact]
    public async Task A_python_socket_whose_first_call_is_sendmsg_reaches_a_virtual_ip_and_tcp_sendmsg_still_works()
    {
        await using var node = await SingleNode.StartAsync(output);
        var udp = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", UdpTests.EchoServer, Port]);
        var tcp = node.Shell.StartUnderAx(["--ip", VirtualIps.Other], ["python3", "-c", TcpEchoServer, "7000"]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: udp);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Other}:7000", server: tcp);

        var udpThenTcp = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client, "--trap-sendmsg=true"],
            ["python3", "-c", SendmsgClients, VirtualIps.Server, Port, VirtualIps.Other, "7000"]);
        Assert.True(udpThenTcp.ExitCode == 0, udpThenTcp.Describe() + udp.Describe() + tcp.Describe() + node.Diagnostics());
        Assert.Equal($"FIRST {VirtualIps.Server}:{Port}\ntcp line", udpThenTcp.StdOut.Trim());
    }

    [Fact]
    public async Task One_sendmmsg_to_two_virtual_ips_reaches_both_servers()
    {
        var helper = await HelperPrograms.BuildAsync("sendmmsg_check");
        await using var node = await SingleNode.StartAsync(output);
        var first = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", UdpTests.EchoServer, Port]);
        var second = node.Shell.StartUnderAx(["--ip", VirtualIps.Other], ["python3", "-c", UdpTests.EchoServer, Port]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: first);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Other}:{Port}", server: second);

        var client = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client, "--trap-sendmsg"],
            [helper, "two", VirtualIps.Server, Port, VirtualIps.Other, Port]);
        Assert.True(client.ExitCode == 0, client.Describe() + node.Diagnostics());
        var lines = client.StdOut.Trim().Split('\n');
        Assert.Equal("sent 2", lines[0]);
        Assert.Equal([$"ONE {VirtualIps.Server}:{Port}", $"TWO {VirtualIps.Other}:{Port}"], lines.Skip(1).Order());
    }

    /// <summary>
    /// Headers in unmapped memory, a negative msg_namelen, a vector longer than its mapping: the agent reads untrusted
    /// memory and must neither fail differently from the kernel nor let anything undecided through. Expected: the
    /// kernel's own answers (sendmsg(2), sendmmsg(2): a vector stops at its first bad entry, the count sent so far).
    /// </summary>
    [Fact]
    public async Task Malformed_headers_get_the_kernels_errnos_under_the_flag()
    {
        var helper = await HelperPrograms.BuildAsync("sendmmsg_check");
        await using var node = await SingleNode.StartAsync(output);
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-u", "-c", UdpTests.EchoServer.Replace(
            "s.sendto(data.upper(), peer)", "print(data.decode(), flush=True)"), Port]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);

        var probe = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client, "--trap-sendmsg"], [helper, "bad", VirtualIps.Server, Port]);
        Assert.True(probe.ExitCode == 0, probe.Describe() + node.Diagnostics());
        Assert.Equal("""
            header-unmapped=EFAULT
            namelen-negative=EINVAL
            name-unmapped=EFAULT
            vector-unmapped=EFAULT
            vector-tail=2
            second-name-bad=1
            """, probe.StdOut.Trim());
        // The datagrams the kernel sent reached the server: x and y of the tail, x of the pair.
        await server.WaitForOutputAsync(o => o.Split('\n').Count(l => l.Trim() is "x" or "y") == 3, TimeSpan.FromSeconds(15),
            "the three datagrams sent");
    }
}
