using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>Blocking connects in flight, watched by the supervisor's epoll. Touched only by the supervisor thread.</summary>
internal sealed class PendingConnects(Epoll epoll)
{
    public const ulong TokenTag = 2UL << 56;
    private readonly Dictionary<ulong, PendingConnect> _pending = new();
    private ulong _nextId;

    public int Count => _pending.Count;

    public void Add(PendingConnect connect)
    {
        var id = ++_nextId;
        _pending[id] = connect;
        var rc = epoll.Add(connect.NodeFd, Libc.EPOLLOUT | Libc.EPOLLONESHOT, TokenTag | id);
        if (rc != 0)
        {
            _pending.Remove(id);
            Seccomp.Respond(connect.Listener, connect.NotificationId, 0, rc);
            connect.Abandon();
        }
    }

    public void OnReady(ulong token)
    {
        if (!_pending.Remove(token & ~TokenTag, out var connect)) return;
        epoll.Remove(connect.NodeFd);
        connect.Complete();
    }

    /// <summary>Drops connects whose caller was interrupted or died, so their node sockets do not linger.</summary>
    public void SweepAbandoned(long olderThanMs)
    {
        var now = Environment.TickCount64;
        foreach (var (id, connect) in _pending.ToList())
        {
            if (now - connect.StartedTicks < olderThanMs || Seccomp.IsValid(connect.Listener, connect.NotificationId)) continue;
            _pending.Remove(id);
            epoll.Remove(connect.NodeFd);
            connect.Abandon();
        }
    }

    public void DropSession(AppSession session)
    {
        foreach (var (id, connect) in _pending.Where(p => p.Value.Session == session).ToList())
        {
            _pending.Remove(id);
            epoll.Remove(connect.NodeFd);
            connect.Abandon();
        }
    }

    public void DropAll()
    {
        foreach (var connect in _pending.Values) connect.Abandon();
        _pending.Clear();
    }
}
