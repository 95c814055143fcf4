using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Integration.DatagramClientAddressTests;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 2, UDP across nodes: a UDP server under `ax run --ip` on n1 sees a client app's virtual IP (and the
/// client's port) in recvfrom and recvmsg when the client runs under ax on another node — carried by the IPv4 option
/// its agent puts on the client's node socket — and its answers sent to that address reach the client, which sees
/// them from the server's VIP. A client outside ax keeps its real address. Real programs: python's socket module and
/// socat (UDP-RECVFROM, the peer socat reports to the program it forks, which answers it).
/// </summary>
public sealed class CrossNodeDatagramClientAddressTests(ITestOutputHelper output)
{
    private const string SocatVip = "198.18.0.4", SocatPort = "8125";

    /// <summary>One datagram; prints the answer and where it came from, then the port it sent from.</summary>
    private const string OneShot = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(10)
        s.sendto(b"hello", (sys.argv[1], int(sys.argv[2])))
        data, peer = s.recvfrom(2048)
        print(f"{data.decode().strip()} from {peer[0]}:{peer[1]}", flush=True)
        print("port", s.getsockname()[1], flush=True)
        """;

    [Fact]
    public async Task Across_nodes_udp_servers_see_ax_clients_virtual_ips_answer_them_and_a_client_outside_ax_keeps_its_address()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var serviceAddr = $"{VirtualIps.Server}:{Port}";
        var server = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", Server, Port]);
        var entry = await cluster.Shell(0).WaitForServerAsync(serviceAddr, server: server);
        // socat forks a program per datagram with the sender in SOCAT_PEERADDR/PORT; its output is the answer (no ':' in
        // it: socat's address syntax would cut the command there).
        var socat = cluster.Shell(0).StartUnderAx(["--ip", SocatVip], ["socat", $"UDP-RECVFROM:{SocatPort},fork",
            "SYSTEM:echo peer $SOCAT_PEERADDR $SOCAT_PEERPORT >&2; echo $SOCAT_PEERADDR $SOCAT_PEERPORT"]);
        await cluster.Shell(0).WaitForServerAsync($"{SocatVip}:{SocatPort}", server: socat);
        await cluster.Shell(1).WaitForServerAsync(serviceAddr);
        await cluster.Shell(1).WaitForServerAsync($"{SocatVip}:{SocatPort}");
        await cluster.Shell(2).WaitForServerAsync(serviceAddr);

        // sendto from n2 and a connected socket from n3: the server sees each app's VIP, the clients see the server's.
        var port = await ExchangeAsync(cluster.Shell(1), ["--ip", VirtualIps.Client], VirtualIps.Server, serviceAddr, server, () => cluster.Logs());
        await ExpectSeenAsync(server, $"{VirtualIps.Client}:{port}", () => cluster.Logs());
        var connectedPort = await ExchangeAsync(cluster.Shell(2), ["--ip", VirtualIps.Other], VirtualIps.Server, serviceAddr,
            server, () => cluster.Logs(), "connect");
        await ExpectSeenAsync(server, $"{VirtualIps.Other}:{connectedPort}", () => cluster.Logs());

        // socat: the peer it hands its program is the client app's VIP, and the program's answer reaches the client.
        var viaSocat = await cluster.Shell(1).RunUnderAxAsync(["--ip", VirtualIps.Client], ["python3", "-c", OneShot, SocatVip, SocatPort]);
        Assert.True(viaSocat.ExitCode == 0, viaSocat.Describe() + socat.Describe() + cluster.Logs());
        var socatPort = viaSocat.StdOut.Split('\n').Single(l => l.StartsWith("port "))[5..];
        Assert.Equal($"{VirtualIps.Client} {socatPort} from {SocatVip}:{SocatPort}", viaSocat.StdOut.Split('\n')[0]);
        Assert.Contains($"peer {VirtualIps.Client} {socatPort}", socat.StdErr);

        // The same program outside ax on n2, sending to the server's node socket: n2's own address.
        var nodeEndPoint = entry.Ipv4Addr.Split(':');
        var outside = await cluster.Shell(1).RunAsync(["python3", "-c", Client, nodeEndPoint[0], nodeEndPoint[1]]);
        Assert.True(outside.ExitCode == 0, outside.Describe() + server.Describe() + cluster.Logs());
        var outsidePort = outside.StdOut.Split('\n').Single(l => l.StartsWith("port "))[5..];
        await ExpectSeenAsync(server, $"{cluster.Network.Nodes[1].Address}:{outsidePort}", () => cluster.Logs());
    }
}
