using System.Net;

namespace AppSwitch.Agent.Native;

/// <summary>Socket operations on fds the agent holds, with IPEndPoint in and out and errno results.</summary>
internal static unsafe class SocketCalls
{
    public readonly record struct Kind(int Domain, int Type, int Protocol);

    /// <summary>SO_DOMAIN, SO_TYPE and SO_PROTOCOL of a socket; false when fd is not a socket.</summary>
    public static bool TryGetKind(int fd, out Kind kind)
    {
        kind = default;
        if (!TryGetInt(fd, Libc.SOL_SOCKET, Libc.SO_DOMAIN, out var domain)) return false;
        if (!TryGetInt(fd, Libc.SOL_SOCKET, Libc.SO_TYPE, out var type)) return false;
        TryGetInt(fd, Libc.SOL_SOCKET, Libc.SO_PROTOCOL, out var protocol);
        kind = new Kind(domain, type, protocol);
        return true;
    }

    public static bool TryGetInt(int fd, int level, int name, out int value)
    {
        int v = 0, len = sizeof(int);
        var ok = Libc.GetSockOpt(fd, level, name, &v, &len) == 0;
        value = v;
        return ok;
    }

    public static int SetInt(int fd, int level, int name, int value) =>
        Libc.SetSockOpt(fd, level, name, &value, sizeof(int)) == 0 ? 0 : Libc.Errno;

    /// <summary>Reads a raw option into <paramref name="buffer"/>; returns its length or -1.</summary>
    public static int GetRaw(int fd, int level, int name, Span<byte> buffer)
    {
        var len = buffer.Length;
        fixed (byte* p = buffer)
            return Libc.GetSockOpt(fd, level, name, p, &len) == 0 ? len : -1;
    }

    public static int SetRaw(int fd, int level, int name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
            return Libc.SetSockOpt(fd, level, name, p, value.Length) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>A new non-blocking, close-on-exec socket; -errno on failure.</summary>
    public static int Create(Kind kind)
    {
        var fd = Libc.Socket(kind.Domain, kind.Type | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, kind.Protocol);
        return fd >= 0 ? fd : -Libc.Errno;
    }

    public static int Bind(int fd, IPEndPoint endPoint, int family)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var len = SockAddr.Encode(endPoint, family, raw);
        fixed (byte* p = raw) return Libc.Bind(fd, p, len) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>connect(2); 0, EINPROGRESS for a non-blocking socket still connecting, or another errno.</summary>
    public static int Connect(int fd, IPEndPoint endPoint, int family)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var len = SockAddr.Encode(endPoint, family, raw);
        fixed (byte* p = raw) return Libc.Connect(fd, p, len) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>connect(2) with the raw address bytes the application gave (AF_UNSPEC and friends).</summary>
    public static int ConnectRaw(int fd, ReadOnlySpan<byte> raw)
    {
        fixed (byte* p = raw) return Libc.Connect(fd, p, raw.Length) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>sendto(2) of <paramref name="data"/> to an endpoint; the byte count, or -errno.</summary>
    public static long SendTo(int fd, ReadOnlySpan<byte> data, int flags, IPEndPoint endPoint, int family)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var len = SockAddr.Encode(endPoint, family, raw);
        fixed (byte* p = data)
        fixed (byte* a = raw)
        {
            var n = Libc.SendTo(fd, p, (nuint)data.Length, flags, a, len);
            return n >= 0 ? n : -Libc.Errno;
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for the socket to accept more data.</summary>
    public static bool WaitWritable(int fd, int timeoutMs)
    {
        var p = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
        return Libc.Poll(&p, 1, timeoutMs) == 1;
    }

    public static IPEndPoint? LocalEndPoint(int fd) => Name(fd, peer: false);

    public static IPEndPoint? RemoteEndPoint(int fd) => Name(fd, peer: true);

    private static IPEndPoint? Name(int fd, bool peer)
    {
        var raw = stackalloc byte[SockAddr.MaxSize];
        var len = SockAddr.MaxSize;
        var rc = peer ? Libc.GetPeerName(fd, raw, &len) : Libc.GetSockName(fd, raw, &len);
        if (rc != 0) return null;
        return SockAddr.TryDecode(new ReadOnlySpan<byte>(raw, Math.Min(len, SockAddr.MaxSize)), out var ep) ? ep : null;
    }

    /// <summary>The socket's inode number (identifies it across fd numbers and processes).</summary>
    public static ulong Inode(int fd)
    {
        var stat = stackalloc byte[256];
        return Libc.FStat(fd, stat) == 0 ? *(ulong*)(stat + 8) : 0; // st_ino follows the 8-byte st_dev everywhere we run
    }

    public const int TcpStateEstablished = 1, TcpStateSynSent = 2, TcpStateClose = 7;

    /// <summary>The TCP state (tcpi_state of TCP_INFO): TCP_CLOSE (7) for a fresh or merely bound socket.</summary>
    public static int TcpState(int fd)
    {
        var info = stackalloc byte[8];
        var len = 8;
        return Libc.GetSockOpt(fd, Libc.IPPROTO_TCP, Libc.TCP_INFO, info, &len) == 0 && len >= 1 ? info[0] : -1;
    }

    /// <summary>
    /// Where a non-blocking connect stands, without waiting: -1 still connecting, 0 connected, else its errno.
    /// Writable with no error condition means connected, so SO_ERROR is read only for a failed one.
    /// </summary>
    public static int ConnectOutcomeNow(int fd)
    {
        var p = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
        if (Libc.Poll(&p, 1, 0) != 1) return -1;
        if ((p.REvents & (Libc.POLLERR | Libc.POLLHUP)) == 0) return 0;
        return TryGetInt(fd, Libc.SOL_SOCKET, Libc.SO_ERROR, out var error) ? error : Libc.Errno;
    }

    public static int GetStatusFlags(int fd) => Libc.Fcntl(fd, Libc.F_GETFL, 0);

    /// <summary>Clears O_NONBLOCK on a socket the agent created (it has no other status flag): one fcntl, not two.</summary>
    public static int MakeFreshSocketBlocking(int fd) => Libc.Fcntl(fd, Libc.F_SETFL, 0) == 0 ? 0 : Libc.Errno;

    public static int SetNonBlocking(int fd, bool nonBlocking)
    {
        var flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0) return Libc.Errno;
        var wanted = nonBlocking ? flags | Libc.O_NONBLOCK : flags & ~Libc.O_NONBLOCK;
        return wanted == flags || Libc.Fcntl(fd, Libc.F_SETFL, wanted) == 0 ? 0 : Libc.Errno;
    }
}
