using AppSwitch.Agent.Interception;
using AppSwitch.Agent.Native;
using Tmds.Linux;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>
/// Node sockets made like an app's socket, on real sockets of this process: every option the app changed is
/// copied, also when the session's spare (made ahead with the app's last values) is used, and a spare whose values
/// the next socket does not share is not used where a value cannot be taken back.
/// </summary>
public sealed class NodeSocketFactoryTests : IDisposable
{
    private static readonly SocketCalls.Kind Tcp = new(AF.INET, SOCK.STREAM, IPPROTO.TCP);
    private readonly NodeSocketFactory _factory = new();
    private readonly SpareSocket _spare = new();
    private readonly List<int> _fds = [];

    private int Socket()
    {
        var fd = SocketCalls.Create(Tcp).Fd; // throws with the errno when it fails
        _fds.Add(fd);
        return fd;
    }

    private static int Get(int fd, int level, int name) =>
        SocketCalls.TryGetInt(fd, level, name, out var value) ? value : throw new InvalidOperationException($"getsockopt {level}/{name}");

    private int AppSocket(bool noDelay = false, int receiveBuffer = 0, bool keepAlive = false)
    {
        var fd = Socket();
        if (noDelay) SocketCalls.SetInt(fd, IPPROTO.TCP, TCP.NODELAY, 1);
        if (receiveBuffer > 0) SocketCalls.SetInt(fd, SOL.SOCKET, SO.RCVBUF, receiveBuffer);
        if (keepAlive) SocketCalls.SetInt(fd, SOL.SOCKET, SO.KEEPALIVE, 1);
        return fd;
    }

    private int NodeSocketLike(int original)
    {
        var fd = _factory.CreateLike(original, Tcp, _spare).Fd;
        _fds.Add(fd);
        _factory.RefillSpare(_spare, Tcp); // as after the answer
        return fd;
    }

    private static void AssertSameOptions(int expected, int actual)
    {
        foreach (var (level, name) in new[]
                 {
                     (IPPROTO.TCP, TCP.NODELAY), (SOL.SOCKET, SO.RCVBUF), (SOL.SOCKET, SO.SNDBUF),
                     (SOL.SOCKET, SO.KEEPALIVE), (SOL.SOCKET, SO.REUSEADDR),
                 })
            Assert.True(Get(expected, level, name) == Get(actual, level, name),
                $"option {level}/{name}: app {Get(expected, level, name)}, node socket {Get(actual, level, name)}");
    }

    [Fact]
    public void Every_changed_option_is_copied_with_and_without_a_spare()
    {
        var first = AppSocket(noDelay: true, receiveBuffer: 32768);
        Assert.NotEqual(Get(Socket(), SOL.SOCKET, SO.RCVBUF), Get(first, SOL.SOCKET, SO.RCVBUF)); // not the default
        AssertSameOptions(first, NodeSocketLike(first)); // no spare yet
        var second = AppSocket(noDelay: true, receiveBuffer: 32768);
        AssertSameOptions(second, NodeSocketLike(second)); // the spare, made with these values
    }

    [Fact]
    public void A_spare_made_with_other_values_still_gives_the_apps_own()
    {
        NodeSocketLike(AppSocket(noDelay: true, keepAlive: true)); // the spare gets NODELAY and KEEPALIVE
        var plain = AppSocket();
        AssertSameOptions(plain, NodeSocketLike(plain)); // both taken back

        NodeSocketLike(AppSocket(receiveBuffer: 32768)); // the spare gets a receive buffer size
        var defaults = AppSocket(noDelay: true);
        var node = NodeSocketLike(defaults);
        AssertSameOptions(defaults, node);
        // Not the spare with its size set back: a size once set stays fixed, and the kernel would no longer grow
        // the buffer for a fast sender as it does for the app's own socket.
        var initial = Get(node, SOL.SOCKET, SO.RCVBUF);
        ReceiveOverLoopback(node, 32 << 20);
        Assert.True(Get(node, SOL.SOCKET, SO.RCVBUF) > initial, "the receive buffer did not grow (its size is fixed)");
    }

    /// <summary>Connects <paramref name="fd"/> to a loopback sender and reads <paramref name="bytes"/> from it.</summary>
    private static void ReceiveOverLoopback(int fd, int bytes)
    {
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        var sender = Task.Run(() =>
        {
            using var peer = listener.Accept();
            var chunk = new byte[1 << 20];
            for (var sent = 0; sent < bytes; sent += chunk.Length) peer.Send(chunk);
        });
        Assert.False(SocketCalls.SetNonBlocking(fd, false).IsError);
        Assert.Equal(Errno.None, SocketCalls.Connect(fd, (System.Net.IPEndPoint)listener.LocalEndPoint!, AF.INET).Error);
        var buffer = new byte[1 << 16];
        unsafe
        {
            fixed (byte* p = buffer)
                for (long got = 0; got < bytes;)
                {
                    long n = LibC.read(fd, p, buffer.Length);
                    Assert.True(n > 0, $"read: {n}, errno {Libc.LastError}");
                    got += n;
                }
        }
        sender.Wait();
    }

    [Fact]
    public void The_spare_is_used_only_for_its_kind()
    {
        NodeSocketLike(AppSocket(noDelay: true));
        var udp = new SocketCalls.Kind(AF.INET, SOCK.DGRAM, 17);
        var original = SocketCalls.Create(udp).Fd;
        _fds.Add(original);
        var node = _factory.CreateLike(original, udp, _spare).Fd;
        _fds.Add(node);
        Assert.True(SocketCalls.TryGetKind(node, out var kind));
        Assert.Equal(SOCK.DGRAM, kind.Type);
    }

    public void Dispose()
    {
        _spare.Dispose();
        foreach (var fd in _fds) Libc.Close(fd);
    }
}
