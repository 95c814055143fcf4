using System.Net;
using System.Text.RegularExpressions;
using AppSwitch.Agent.Following;
using AppSwitch.Agent.Table;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// The agent's RST injection on its own, against a real python process's TCP connection over loopback (root: TCP_REPAIR
/// needs CAP_NET_ADMIN, the raw socket CAP_NET_RAW, pidfd_getfd ptrace rights): a record whose peer is not the socket's
/// real peer gets nothing sent; the right one makes the app's blocked recv fail with ECONNRESET.
/// </summary>
public sealed class TcpResetInjectorTests
{
    private static readonly TimeSpan AntiHang = TimeSpan.FromSeconds(60);

    /// <summary>A loopback connection with data read both ways; prints the client's fd, inode and its peer, then how its recv ends.</summary>
    private const string BlockedClient = """
        import errno, os, socket
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        c = socket.create_connection(srv.getsockname())
        a, _ = srv.accept()
        a.sendall(b"abc")
        assert c.recv(3) == b"abc"
        print("ready %d %d %s:%d" % (c.fileno(), os.fstat(c.fileno()).st_ino, *srv.getsockname()), flush=True)
        try:
            c.recv(100)
            print("eof", flush=True)
        except OSError as e:
            print("error %s" % errno.errorcode.get(e.errno, e.errno), flush=True)
        """;

    [Fact]
    public async Task Only_the_socket_whose_peer_is_the_recorded_instance_is_reset_and_its_app_sees_ECONNRESET()
    {
        await using var client = RunningProcess.Start("python3", ["-c", BlockedClient]);
        await client.WaitForOutputAsync(o => o.Contains("ready"), AntiHang, "the connection up");
        var ready = Regex.Match(client.StdOut, @"ready (\d+) (\d+) (\S+)");
        var (fd, inode, server) = (int.Parse(ready.Groups[1].Value), ulong.Parse(ready.Groups[2].Value), IPEndPoint.Parse(ready.Groups[3].Value));
        var app = new AppEntry { Id = "injector-test", Pid = client.Pid };
        PeerConnection Record(IPEndPoint instance) => new(inode, app, IPEndPoint.Parse("198.18.19.1:7000"), new PeerTarget(instance, Transport.Tcp, client.Pid, fd));

        using var injector = new TcpResetInjector();
        var elsewhere = new IPEndPoint(server.Address, server.Port == 1 ? 2 : server.Port - 1);
        Assert.False(injector.TryReset(Record(elsewhere), out var why), client.Describe());
        Assert.Contains($"its peer is {server}", why);

        // Still established after the refusal (else this one would fail as "not established"): now the reset lands.
        Assert.True(injector.TryReset(Record(server), out why), $"{why}\n{client.Describe()}");
        await client.WaitForOutputAsync(o => o.Contains("error") || o.Contains("eof"), AntiHang, "the client's recv to end");
        Assert.Contains("error ECONNRESET", client.StdOut);
    }
}
