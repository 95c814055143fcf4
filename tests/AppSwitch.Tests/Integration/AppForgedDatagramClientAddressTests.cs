using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.Native;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Integration.DatagramClientAddressTests;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 19 point 2, the UDP client-VIP marker forged by an app of the cluster. A root app under `ax run` keeps
/// CAP_NET_RAW, and the sockets the agent hands it are node sockets: it can put the marker option (type 30, magic
/// 0xA5C1, a VIP) on one itself — with setsockopt(IP_OPTIONS) or per datagram with an IP_RETOPTS cmsg — claiming
/// another app's VIP at a server on another node, which trusts the sender's node. The egress guard on the agent's
/// cgroup drops such a datagram (the send fails with EPERM) unless the VIP is the one the agent marked on that very
/// socket; the honest app, and the attacker's own VIP, still go through. The guard's records die with their sockets
/// (the sock_release program).
/// </summary>
public sealed class AppForgedDatagramClientAddressTests(ITestOutputHelper output)
{
    /// <summary>
    /// Under ax with its own VIP argv[3]: a first datagram (marked by the agent), then the option with the claimed VIP
    /// argv[4] via setsockopt, via an IP_RETOPTS cmsg with the address (sendmsg) and via one on a connected socket,
    /// each followed by one with its own VIP; every send's outcome printed. (The connected socket's cmsg send is
    /// refused before the guard too: see NOTES "rawforge".) Last, a raw socket's SYN to the server's node address argv[5] (its namespace has no route).
    /// </summary>
    private const string Forger = """
        import socket, struct, sys
        to, own, claimed, node = (sys.argv[1], int(sys.argv[2])), sys.argv[3], sys.argv[4], sys.argv[5]
        IP_OPTIONS, IP_RETOPTS = 4, 7
        def mark(vip): return struct.pack("!BBH", 30, 8, 0xA5C1) + socket.inet_aton(vip)
        def send(s, word, cmsg=None):
            try:
                if word.startswith("c-"):
                    if cmsg is None: s.send(word.encode())
                    else: s.sendmsg([word.encode()], cmsg)
                elif cmsg is not None: s.sendmsg([word.encode()], cmsg, 0, to)
                else: s.sendto(word.encode(), to)
            except OSError as e:
                print(word, "refused", e.errno, flush=True)
                return
            data, _ = s.recvfrom(2048)
            print(word, "answered", data.decode(), flush=True)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(10)
        send(s, "own")
        s.setsockopt(socket.IPPROTO_IP, IP_OPTIONS, mark(claimed))
        send(s, "forged")
        s.setsockopt(socket.IPPROTO_IP, IP_OPTIONS, mark(own))
        send(s, "after")
        send(s, "m-forged", [(socket.IPPROTO_IP, IP_RETOPTS, mark(claimed))])
        send(s, "m-own", [(socket.IPPROTO_IP, IP_RETOPTS, mark(own))])
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(10)
        c.connect(to)
        send(c, "c-own")
        send(c, "c-forged", [(socket.IPPROTO_IP, IP_RETOPTS, mark(claimed))])
        send(c, "c-after")
        r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        try:
            r.sendto(struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 2, 1024, 0, 0), (node, 0))
            print("raw sent", flush=True)
        except OSError as e:
            print("raw refused", e.errno, flush=True)
        print("port", s.getsockname()[1], c.getsockname()[1], flush=True)
        """;

    [Fact]
    public async Task An_app_with_cap_net_raw_cannot_claim_another_apps_virtual_ip_at_a_server_on_another_node()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var serviceAddr = $"{VirtualIps.Server}:{Port}";
        var server = cluster.Shell(1).StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", Server, Port]);
        await cluster.Shell(1).WaitForServerAsync(serviceAddr, server: server);
        await cluster.Shell(0).WaitForServerAsync(serviceAddr);

        // The honest app on n1 is seen as itself.
        var honestPort = await ExchangeAsync(cluster.Shell(0), ["--ip", VirtualIps.Client], VirtualIps.Server, serviceAddr, server, () => cluster.Logs());
        await ExpectSeenAsync(server, $"{VirtualIps.Client}:{honestPort}", () => cluster.Logs());

        // The attacker (root, under ax with its own VIP) claims the honest app's VIP: both forged sends are refused by
        // its own node; what it sends with its own VIP, before and after, reaches the server as that VIP.
        var attack = await cluster.Shell(0).RunUnderAxAsync(["--ip", VirtualIps.Other],
            ["python3", "-c", Forger, VirtualIps.Server, Port, VirtualIps.Other, VirtualIps.Client, cluster.Network.Nodes[1].Address]);
        Assert.True(attack.ExitCode == 0, attack.Describe() + server.Describe() + cluster.Logs());
        var lines = attack.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["own answered OWN", "forged refused 1", "after answered AFTER",
            "m-forged refused 1", "m-own answered M-OWN",
            "c-own answered C-OWN", "c-forged refused 1", "c-after answered C-AFTER", "raw refused 101"], lines[..^1]);
        var ports = lines[^1].Split(' ');
        await Eventually.UntilAsync(() => Task.FromResult(server.StdOut.Contains("c-after from")), TimeSpan.FromSeconds(10),
            "the server to print the attacker's last datagram", () => server.Describe() + cluster.Logs());
        var seen = server.StdOut.Split('\n').Where(l => l.EndsWith($":{ports[1]}") || l.EndsWith($":{ports[2]}")).ToArray();
        Assert.True(seen.SequenceEqual([$"own from {VirtualIps.Other}:{ports[1]}", $"after from {VirtualIps.Other}:{ports[1]}",
            $"m-own from {VirtualIps.Other}:{ports[1]}",
            $"c-own from {VirtualIps.Other}:{ports[2]}", $"c-after from {VirtualIps.Other}:{ports[2]}"]),
            $"the server saw:\n{string.Join('\n', seen)}\n{server.Describe()}");
        Assert.DoesNotContain("forged", server.StdOut);
    }

    /// <summary>Under ax: argv[3] sockets each exchange one datagram (marked), then wait for the file argv[4]; then all close.</summary>
    private const string ManySockets = """
        import os, socket, sys, time
        to, count, go = (sys.argv[1], int(sys.argv[2])), int(sys.argv[3]), sys.argv[4]
        sockets = []
        for i in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(10)
            s.sendto(b"many", to)
            s.recvfrom(2048)
            sockets.append(s)
        print("open", flush=True)
        while not os.path.exists(go):
            time.sleep(0.05)
        for s in sockets:
            s.close()
        print("closed", flush=True)
        time.sleep(600)
        """;

    [Fact]
    public async Task The_guards_records_die_with_their_sockets()
    {
        const int Sockets = 20;
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var serviceAddr = $"{VirtualIps.Server}:{Port}";
        var server = cluster.Shell(1).StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", Server, Port]);
        await cluster.Shell(1).WaitForServerAsync(serviceAddr, server: server);
        await cluster.Shell(0).WaitForServerAsync(serviceAddr);
        var go = Path.Join(Path.GetTempPath(), $"ax-release-{Guid.NewGuid():N}");
        try
        {
            await using var app = cluster.Shell(0).StartUnderAx(["--ip", VirtualIps.Client],
                ["python3", "-c", ManySockets, VirtualIps.Server, Port, Sockets.ToString(), go]);
            await app.WaitForOutputAsync(o => o.Contains("open\n"), TimeSpan.FromSeconds(60), "the app's sockets to be open");
            Assert.Equal(Sockets, SenderVipEntries(cluster.Agents[0]));

            await File.WriteAllTextAsync(go, "");
            await app.WaitForOutputAsync(o => o.Contains("closed\n"), TimeSpan.FromSeconds(30), "the app to close its sockets");
            await Eventually.UntilAsync(() => Task.FromResult(SenderVipEntries(cluster.Agents[0]) == 0), TimeSpan.FromSeconds(10),
                "the sender VIPs map to be empty", () => $"{SenderVipEntries(cluster.Agents[0])} entries left\n{app.Describe()}{cluster.Logs()}");
        }
        finally { File.Delete(go); }
    }

    /// <summary>Entries in the agent's sender VIPs map, found by the id it records in its admin directory.</summary>
    private static int SenderVipEntries(AgentProcess agent)
    {
        var id = uint.Parse(File.ReadAllText(Path.Join(agent.AdminDir, ClientAddressMaps.FileName)).Split(' ')[1]);
        var opened = Bpf.MapFdById(id);
        Assert.False(opened.IsError, $"the sender VIPs map {id}: {opened.Error}");
        try
        {
            var count = 0;
            var key = Array.Empty<byte>();
            var next = new byte[ClientAddressPrograms.ClientKeySize];
            while (!Bpf.NextKey(opened.Fd, key, next).IsError)
            {
                count++;
                key = (byte[])next.Clone();
            }
            return count;
        }
        finally { Libc.Close(opened.Fd); }
    }
}
