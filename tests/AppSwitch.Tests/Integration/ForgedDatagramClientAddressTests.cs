using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Integration.DatagramClientAddressTests;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 2, the attacks on the UDP client address. (1) The IPv4 option that carries a client app's VIP
/// (type 30, magic 0xA5C1, the VIP) is believed only from a node of the cluster: a host outside it — a namespace on
/// the same bridge that runs no agent — puts the option claiming an app's VIP on its datagrams (setsockopt
/// IP_OPTIONS, as root can), and the server under `ax run` sees that host's real address. The same datagram from the
/// server's own node (a trusted address) is believed: the control that shows the option is well formed and read.
/// (2) The reply gate: once a client VIP:port is known at a node, only a socket that heard from that client may send
/// to it; another app's socket sending there gets EPERM (it cannot use the reverse mapping to reach the client).
/// </summary>
public sealed class ForgedDatagramClientAddressTests
{
    /// <summary>Sends one datagram carrying the forged option from a fixed port; prints the answer and its source.</summary>
    private const string Forger = """
        import socket, struct, sys
        dst, port, vip, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, struct.pack("!BBH", 30, 8, 0xA5C1) + socket.inet_aton(vip))
        s.bind(("0.0.0.0", sport))
        s.settimeout(10)
        s.sendto(b"forged", (dst, port))
        data, peer = s.recvfrom(2048)
        print(f"{data.decode()} from {peer[0]}:{peer[1]}", flush=True)
        """;

    /// <summary>Another app's bound UDP socket sends to a client VIP:port it never heard from.</summary>
    private const string Unsolicited = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 5301))
        try:
            s.sendto(b"unsolicited", (sys.argv[1], int(sys.argv[2])))
            print("sent", flush=True)
        except OSError as e:
            print("refused", e.errno, flush=True)
        """;

    [Fact]
    public async Task A_host_outside_the_cluster_cannot_claim_an_apps_virtual_ip_and_no_app_can_send_to_a_client_it_never_heard_from()
    {
        // Two namespaces on one bridge; an agent only on n1: n2 is a host of the network, not of the cluster.
        await using var network = TestNetwork.Create(2);
        await using var agent = await AgentProcess.StartAsync(network, network.Nodes[0], AgentProcess.DefaultRestPort);
        var node = new NodeShell(network, agent);
        var outsider = new NodeShell(network, network.Nodes[1], agent.SocketDir);
        var server = node.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", Server, Port]);
        var entry = await node.WaitForServerAsync($"{VirtualIps.Server}:{Port}", server: server);
        var target = entry.Ipv4Addr.Split(':');
        string Diagnostics() => agent.Output;

        // The outsider claims to be the client app at VirtualIps.Client: seen, and answered, at its real address.
        var outsiderAddress = network.Nodes[1].Address;
        var forged = await outsider.RunAsync(["python3", "-c", Forger, target[0], target[1], VirtualIps.Client, "47001"]);
        Assert.True(forged.ExitCode == 0, forged.Describe() + server.Describe() + Diagnostics());
        Assert.Equal($"FORGED from {entry.Ipv4Addr}", forged.StdOut.Trim());
        await ExpectLineAsync(server, $"forged from {outsiderAddress}:47001", Diagnostics);

        // Control: the very same datagram from the server's node, whose address the agent trusts, is believed; the
        // server's answer to the claimed VIP:port reaches the sender.
        var trusted = await node.RunAsync(["python3", "-c", Forger, target[0], target[1], VirtualIps.Client, "47002"]);
        Assert.True(trusted.ExitCode == 0, trusted.Describe() + server.Describe() + Diagnostics());
        Assert.Equal($"FORGED from {entry.Ipv4Addr}", trusted.StdOut.Trim());
        await ExpectLineAsync(server, $"forged from {VirtualIps.Client}:47002", Diagnostics);

        // The reply gate: VirtualIps.Client:47002 is now a known client at this node, but only the server heard from
        // it. Another app under ax sending there is refused by the kernel (EPERM), not carried to the client.
        var other = await node.RunUnderAxAsync(["--ip", VirtualIps.Other], ["python3", "-c", Unsolicited, VirtualIps.Client, "47002"]);
        Assert.True(other.ExitCode == 0, other.Describe() + Diagnostics());
        Assert.Equal("refused 1", other.StdOut.Trim());
    }

    private static async Task ExpectLineAsync(RunningProcess server, string line, Func<string> diagnostics) =>
        await Eventually.UntilAsync(() => Task.FromResult(server.StdOut.Split('\n').Contains(line)),
            TimeSpan.FromSeconds(10), $"the server to print '{line}'", () => server.Describe() + diagnostics());
}
