using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>An epoll instance whose events carry a 64-bit token chosen by the caller.</summary>
internal sealed unsafe class Epoll : IDisposable
{
    // struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;
    private readonly int _fd;
    private readonly byte[] _buffer;

    public Epoll(int maxEvents = 64)
    {
        _fd = Libc.EpollCreate1(Libc.O_CLOEXEC);
        if (_fd < 0) throw new InvalidOperationException($"epoll_create1 failed: errno {Libc.Errno}");
        _buffer = new byte[maxEvents * EventSize];
    }

    public int Add(int fd, uint events, ulong token) => Control(Libc.EPOLL_CTL_ADD, fd, events, token);

    public int Remove(int fd) => Control(Libc.EPOLL_CTL_DEL, fd, 0, 0);

    private int Control(int op, int fd, uint events, ulong token)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = token;
        return Libc.EpollCtl(_fd, op, fd, ev) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>Waits for events; calls <paramref name="onEvent"/>(token, events) for each. Returns the count.</summary>
    public int Wait(int timeoutMs, Action<ulong, uint> onEvent)
    {
        int n;
        fixed (byte* p = _buffer)
        {
            n = Libc.EpollWait(_fd, p, _buffer.Length / EventSize, timeoutMs);
            if (n < 0) return Libc.Errno == Libc.EINTR ? 0 : throw new InvalidOperationException($"epoll_wait failed: errno {Libc.Errno}");
        }
        for (var i = 0; i < n; i++)
        {
            uint events;
            ulong token;
            fixed (byte* p = &_buffer[i * EventSize])
            {
                events = *(uint*)p;
                token = *(ulong*)(p + DataOffset);
            }
            onEvent(token, events);
        }
        return n;
    }

    public void Dispose() => Libc.Close(_fd);
}
