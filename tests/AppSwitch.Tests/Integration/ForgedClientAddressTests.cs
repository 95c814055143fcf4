using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 2, the attack side: the client-address TCP option (kind 254, magic 0xA5C1, a VIP) is believed only
/// from a node of the cluster. A host outside the cluster — a namespace on the same bridge that runs no agent — sends a
/// SYN carrying the option that claims an app's VIP; the server under `ax run` must see that host's real address.
/// The same handcrafted SYN from the server's own node (a trusted address) is believed: the control that shows the
/// forged option is well formed and read, so only the trust check keeps the outsider from impersonating the app.
/// </summary>
public sealed class ForgedClientAddressTests(ITestOutputHelper output)
{
    private const string ServerScript = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        s.listen(16)
        print("listening", flush=True)
        while True:
            c, a = s.accept()
            p = c.getpeername()
            print(f"accept {a[0]}:{a[1]} peer {p[0]}:{p[1]}", flush=True)
            c.close()
        """;

    // A TCP handshake written by hand on a raw socket: the SYN carries MSS and the forged kind-254 option. The
    // kernel of this namespace knows no such connection, so the test drops its RSTs (nft) for the port used.
    private const string ForgerScript = """
        import random, socket, struct, sys
        src, dst, dport, vip, sport = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])

        def checksum(b):
            if len(b) % 2:
                b += b"\0"
            s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
            while s >> 16:
                s = (s & 0xFFFF) + (s >> 16)
            return ~s & 0xFFFF

        def segment(seq, ack, flags, options=b""):
            h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (20 + len(options)) // 4 << 4, flags, 64240, 0, 0) + options
            pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(h))
            return h[:16] + struct.pack("!H", checksum(pseudo + h)) + h[18:]

        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        raw.settimeout(10)
        isn = random.randrange(1 << 32)
        forged = struct.pack("!BBH", 254, 8, 0xA5C1) + socket.inet_aton(vip)
        raw.sendto(segment(isn, 0, 0x02, struct.pack("!BBH", 2, 4, 1460) + forged), (dst, 0))
        while True:
            packet, (peer, _) = raw.recvfrom(65535)
            t = packet[(packet[0] & 0x0F) * 4:]
            sp, dp, seq, _, _, flags = struct.unpack("!HHIIBB", t[:14])
            if peer == dst and sp == dport and dp == sport and flags & 0x12 == 0x12:
                break
        raw.sendto(segment(isn + 1, seq + 1, 0x10), (dst, 0))
        print("established", flush=True)
        """;

    [Fact]
    public async Task A_host_outside_the_cluster_claiming_an_apps_virtual_ip_is_seen_at_its_real_address()
    {
        // Two namespaces on one bridge; an agent only on n1: n2 is a host of the network, not of the cluster.
        await using var network = TestNetwork.Create(2);
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0], AgentProcess.DefaultRestPort);
        try
        {
            var node = new NodeShell(network, agent);
            var outsider = new NodeShell(network, network.Nodes[1], agent.SocketDir);
            var server = network.Temp.WriteFile("peer_server.py", ServerScript);
            var forger = network.Temp.WriteFile("forger.py", ForgerScript);
            var served = node.StartUnderAx(["--ip", VirtualIps.Server], ["python3", server, "80"]);
            var entry = await node.WaitForServerAsync($"{VirtualIps.Server}:80", server: served);
            var target = entry.Ipv4Addr.Split(':');

            // The outsider claims to be the client app at VirtualIps.Client.
            var outsiderAddress = network.Nodes[1].Address;
            await HandshakeAsync(outsider, forger, outsiderAddress, target, 47001, served);
            await ExpectSeenAsync(served, $"{outsiderAddress}:47001", () => agent.Output);

            // Control: the very same segments from the server's node, whose address the agent trusts, are believed.
            await HandshakeAsync(node, forger, network.Nodes[0].Address, target, 47002, served);
            await ExpectSeenAsync(served, $"{VirtualIps.Client}:47002", () => agent.Output);
        }
        finally
        {
            output.WriteLine(agent.Output);
        }
    }

    /// <summary>Drops this namespace's RSTs from <paramref name="port"/>, then runs the forger from there.</summary>
    private static async Task HandshakeAsync(NodeShell shell, string forger, string source, string[] target, int port, RunningProcess served)
    {
        var rules = $$"""
            table inet axt_forge_{{port}} {
                chain out { type filter hook output priority 0; tcp sport {{port}} tcp flags & rst == rst drop; }
            }
            """;
        var nft = await shell.RunAsync(["nft", "-f", WriteRules(forger, port, rules)]);
        Assert.True(nft.ExitCode == 0, nft.Describe());
        var result = await shell.RunAsync(["python3", forger, source, target[0], target[1], VirtualIps.Client, port.ToString()]);
        Assert.True(result.ExitCode == 0 && result.StdOut.Contains("established"), result.Describe() + "\n" + served.Describe());
    }

    private static string WriteRules(string forger, int port, string rules)
    {
        var path = Path.Combine(Path.GetDirectoryName(forger)!, $"forge-{port}.nft");
        File.WriteAllText(path, rules);
        return path;
    }

    /// <summary>Waits for the server's line of the connection from <paramref name="expected"/>'s port; accept4 and getpeername both show it.</summary>
    private static async Task ExpectSeenAsync(RunningProcess served, string expected, Func<string> diagnostics)
    {
        var port = expected[(expected.LastIndexOf(':') + 1)..];
        bool Mine(string l) => l.StartsWith("accept ") && l.Contains(":" + port + " ");
        await Eventually.UntilAsync(() => Task.FromResult(served.StdOut.Split('\n').Any(Mine)),
            TimeSpan.FromSeconds(10), $"the server to print the connection from port {port}", () => served.Describe() + diagnostics());
        var line = served.StdOut.Split('\n').First(Mine);
        Assert.True(line == $"accept {expected} peer {expected}", $"expected accept/getpeername {expected}, got: {line}\n{served.Describe()}");
    }
}
