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

    /// <summary>Answers every datagram in upper case to whoever sent it (recvfrom + sendto).</summary>
    private const string EchoServer = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        print("bound", flush=True)
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(data.upper(), peer)
        """;

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
}
