using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>An epoll instance whose events carry a 64-bit token chosen by the caller.</summary>
internal sealed unsafe class Epoll : IDisposable
{
    // struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.
    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;
    private static readonly int EventSize = Packed ? sizeof(PackedEvent) : sizeof(AlignedEvent);
    private readonly int _fd;
    private readonly byte[] _buffer;

    public Epoll(int maxEvents = 64)
    {
        // Only running out of memory or fds fails here: nothing the caller could handle.
        _fd = SysResult.FromReturn(Libc.EpollCreate1(O.CLOEXEC)) is { IsError: false } created
            ? created.Fd : throw new InvalidOperationException($"epoll_create1 failed: {Libc.LastError}");
        _buffer = new byte[maxEvents * EventSize];
    }

    public SysResult Add(int fd, uint events, ulong token) => Control(EPOLL.CTL_ADD, fd, events, token);

    public SysResult Remove(int fd) => Control(EPOLL.CTL_DEL, fd, 0, 0);

    private SysResult Control(int op, int fd, uint events, ulong token)
    {
        if (Packed)
        {
            var packed = new PackedEvent { Events = events, Token = token };
            return SysResult.FromReturn(Libc.EpollCtl(_fd, op, fd, (byte*)&packed));
        }
        var aligned = new AlignedEvent { Events = events, Token = token };
        return SysResult.FromReturn(Libc.EpollCtl(_fd, op, fd, (byte*)&aligned));
    }

    /// <summary>Waits for events; calls <paramref name="onEvent"/>(token, events) for each. Returns the count.</summary>
    public int Wait(int timeoutMs, Action<ulong, uint> onEvent)
    {
        int n;
        fixed (byte* p = _buffer)
        {
            var waited = SysResult.FromReturn(Libc.EpollWait(_fd, p, _buffer.Length / EventSize, timeoutMs));
            if (waited.IsError) return waited.Error == Errno.EINTR ? 0 : throw new InvalidOperationException($"epoll_wait failed: {waited.Error}");
            n = (int)waited.Value;
        }
        for (var i = 0; i < n; i++)
        {
            uint events;
            ulong token;
            fixed (byte* p = &_buffer[i * EventSize])
                (events, token) = Packed ? (((PackedEvent*)p)->Events, ((PackedEvent*)p)->Token) : (((AlignedEvent*)p)->Events, ((AlignedEvent*)p)->Token);
            onEvent(token, events);
        }
        return n;
    }

    public void Dispose() => Libc.Close(_fd);

    /// <summary>struct epoll_event on x86-64 (__attribute__((packed)), 12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct PackedEvent
    {
        public uint Events;
        public ulong Token;
    }

    /// <summary>struct epoll_event elsewhere (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct AlignedEvent
    {
        public uint Events;
        public ulong Token;
    }
}
