using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>An epoll instance whose events carry a 64-bit token chosen by the caller.</summary>
/// <remarks>
/// struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere: Tmds.LibC ships one
/// build per architecture with the right layout, so <c>epoll_event</c> is that struct wherever the agent runs.
/// </remarks>
internal sealed unsafe class Epoll : IDisposable
{
    private readonly int _fd;
    private readonly epoll_event[] _events;

    public Epoll(int maxEvents = 64)
    {
        // Only running out of memory or fds fails here: nothing the caller could handle.
        _fd = SysResult.FromReturn(LibC.epoll_create1(O.CLOEXEC)) is { IsError: false } created
            ? created.Fd : throw new InvalidOperationException($"epoll_create1 failed: {Libc.LastError}");
        _events = new epoll_event[maxEvents];
    }

    public SysResult Add(int fd, uint events, ulong token) => Control(EPOLL.CTL_ADD, fd, events, token);

    public SysResult Remove(int fd) => Control(EPOLL.CTL_DEL, fd, 0, 0);

    private SysResult Control(int op, int fd, uint events, ulong token)
    {
        var ev = new epoll_event { events = (int)events, data = new epoll_data_t { u64 = token } };
        return SysResult.FromReturn(LibC.epoll_ctl(_fd, op, fd, &ev));
    }

    /// <summary>Waits for events; calls <paramref name="onEvent"/>(token, events) for each. Returns the count.</summary>
    public int Wait(int timeoutMs, Action<ulong, uint> onEvent)
    {
        int n;
        fixed (epoll_event* p = _events)
        {
            var waited = SysResult.FromReturn(LibC.epoll_wait(_fd, p, _events.Length, timeoutMs));
            if (waited.IsError) return waited.Error == Errno.EINTR ? 0 : throw new InvalidOperationException($"epoll_wait failed: {waited.Error}");
            n = (int)waited.Value;
        }
        for (var i = 0; i < n; i++) onEvent(_events[i].data.u64, (uint)_events[i].events);
        return n;
    }

    public void Dispose() => Libc.Close(_fd);
}
