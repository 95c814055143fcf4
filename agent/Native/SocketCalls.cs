using System.Net;
using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>Socket operations on fds the agent holds, with IPEndPoint in and out and <see cref="SysResult"/> results.</summary>
internal static unsafe class SocketCalls
{
    public readonly record struct Kind(int Domain, int Type, int Protocol);

    /// <summary>SO_DOMAIN, SO_TYPE and SO_PROTOCOL of a socket; false when fd is not a socket.</summary>
    public static bool TryGetKind(int fd, out Kind kind)
    {
        kind = default;
        if (!TryGetInt(fd, SOL.SOCKET, SO.DOMAIN, out var domain)) return false;
        if (!TryGetInt(fd, SOL.SOCKET, SO.TYPE, out var type)) return false;
        TryGetInt(fd, SOL.SOCKET, SO.PROTOCOL, out var protocol);
        kind = new Kind(domain, type, protocol);
        return true;
    }

    public static bool TryGetInt(int fd, int level, int name, out int value)
    {
        int v = 0;
        socklen_t len = sizeof(int);
        var ok = LibC.getsockopt(fd, level, name, &v, &len) == 0;
        value = v;
        return ok;
    }

    public static SysResult SetInt(int fd, int level, int name, int value) =>
        SysResult.FromReturn(LibC.setsockopt(fd, level, name, &value, sizeof(int)));

    /// <summary>Reads a raw option into <paramref name="buffer"/>; its length.</summary>
    public static SysResult GetRaw(int fd, int level, int name, Span<byte> buffer)
    {
        socklen_t len = buffer.Length;
        fixed (byte* p = buffer)
        {
            var r = SysResult.FromReturn(LibC.getsockopt(fd, level, name, p, &len));
            return r.IsError ? r : SysResult.Ok((uint)len);
        }
    }

    public static SysResult SetRaw(int fd, int level, int name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
            return SysResult.FromReturn(LibC.setsockopt(fd, level, name, p, value.Length));
    }

    /// <summary>A new non-blocking, close-on-exec socket: its fd.</summary>
    public static SysResult Create(Kind kind) =>
        SysResult.FromReturn(LibC.socket(kind.Domain, kind.Type | SOCK.NONBLOCK | SOCK.CLOEXEC, kind.Protocol));

    public static SysResult Bind(int fd, IPEndPoint endPoint, int family)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var len = SockAddr.Encode(endPoint, family, raw);
        fixed (byte* p = raw) return SysResult.FromReturn(LibC.bind(fd, (sockaddr*)p, len));
    }

    /// <summary>connect(2); EINPROGRESS for a non-blocking socket still connecting.</summary>
    public static SysResult Connect(int fd, IPEndPoint endPoint, int family)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var len = SockAddr.Encode(endPoint, family, raw);
        fixed (byte* p = raw) return SysResult.FromReturn(LibC.connect(fd, (sockaddr*)p, len));
    }

    /// <summary>connect(2) with the raw address bytes the application gave (AF_UNSPEC and friends).</summary>
    public static SysResult ConnectRaw(int fd, ReadOnlySpan<byte> raw)
    {
        fixed (byte* p = raw) return SysResult.FromReturn(LibC.connect(fd, (sockaddr*)p, raw.Length));
    }

    public static SysResult Listen(int fd, int backlog) => SysResult.FromReturn(LibC.listen(fd, backlog));

    /// <summary>sendto(2) of <paramref name="data"/> to an endpoint: the byte count.</summary>
    public static SysResult SendTo(int fd, ReadOnlySpan<byte> data, int flags, IPEndPoint endPoint, int family)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var len = SockAddr.Encode(endPoint, family, raw);
        fixed (byte* p = data)
        fixed (byte* a = raw)
            return SysResult.FromReturn(LibC.sendto(fd, p, data.Length, flags, (sockaddr*)a, len));
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for the socket to accept more data.</summary>
    public static bool WaitWritable(int fd, int timeoutMs)
    {
        var p = new Libc.PollFd { Fd = fd, Events = POLL.OUT };
        return Libc.Poll(&p, 1, timeoutMs) == 1;
    }

    public static IPEndPoint? LocalEndPoint(int fd) => Name(fd, peer: false);

    public static IPEndPoint? RemoteEndPoint(int fd) => Name(fd, peer: true);

    private static IPEndPoint? Name(int fd, bool peer)
    {
        var raw = stackalloc byte[SockAddr.MaxSize];
        socklen_t len = SockAddr.MaxSize;
        var rc = peer ? LibC.getpeername(fd, (sockaddr*)raw, &len) : LibC.getsockname(fd, (sockaddr*)raw, &len);
        if (rc != 0) return null;
        return SockAddr.TryDecode(new ReadOnlySpan<byte>(raw, Math.Min((int)len, SockAddr.MaxSize)), out var ep) ? ep : null;
    }

    /// <summary>The socket's inode number (identifies it across fd numbers and processes).</summary>
    public static ulong Inode(int fd)
    {
        stat stat;
        return LibC.fstat(fd, &stat) == 0 ? (ulong)stat.st_ino : 0;
    }

    public const int TcpStateEstablished = 1, TcpStateSynSent = 2, TcpStateClose = 7;

    /// <summary>The TCP state (tcpi_state, the first byte of struct tcp_info): TCP_CLOSE (7) for a fresh or merely bound socket; null when unknown.</summary>
    public static int? TcpState(int fd)
    {
        var info = stackalloc byte[8];
        socklen_t len = 8;
        return LibC.getsockopt(fd, IPPROTO.TCP, TCP.INFO, info, &len) == 0 && len >= 1 ? info[0] : null;
    }

    /// <summary>
    /// Where a non-blocking connect stands, without waiting: EINPROGRESS while still connecting, success once
    /// connected, else its error. Writable with no error condition means connected, so SO_ERROR is read only for a failed one.
    /// </summary>
    public static SysResult ConnectOutcomeNow(int fd)
    {
        var p = new Libc.PollFd { Fd = fd, Events = POLL.OUT };
        if (Libc.Poll(&p, 1, 0) != 1) return Errno.EINPROGRESS;
        if ((p.REvents & (POLL.ERR | POLL.HUP)) == 0) return SysResult.Success;
        return PendingError(fd);
    }

    /// <summary>SO_ERROR: the error a non-blocking connect ended with (success when none).</summary>
    public static SysResult PendingError(int fd)
    {
        var error = 0;
        socklen_t len = sizeof(int);
        var r = SysResult.FromReturn(LibC.getsockopt(fd, SOL.SOCKET, SO.ERROR, &error, &len));
        return r.IsError ? r : (Errno)error;
    }

    /// <summary>The file status flags (F_GETFL).</summary>
    public static SysResult GetStatusFlags(int fd) => SysResult.FromReturn(LibC.fcntl(fd, F.GETFL, 0));

    /// <summary>Clears O_NONBLOCK on a socket the agent created (it has no other status flag): one fcntl, not two.</summary>
    public static SysResult MakeFreshSocketBlocking(int fd) => SysResult.FromReturn(LibC.fcntl(fd, F.SETFL, 0));

    public static SysResult SetNonBlocking(int fd, bool nonBlocking)
    {
        var flags = GetStatusFlags(fd);
        if (flags.IsError) return flags;
        var current = (int)flags.Value;
        var wanted = nonBlocking ? current | O.NONBLOCK : current & ~O.NONBLOCK;
        return wanted == current ? SysResult.Success : SysResult.FromReturn(LibC.fcntl(fd, F.SETFL, wanted));
    }
}
