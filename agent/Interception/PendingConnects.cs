using AppSwitch.Agent.Native;
using AppSwitch.Agent.State;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Blocking connects in flight. Session threads add them; one completion thread waits on all of their node
/// sockets and finishes each call when its connect is done, so no session thread ever waits on the network.
/// </summary>
internal sealed class PendingConnects : IDisposable
{
    private readonly InflightJournal _journal;
    private const ulong WakeToken = 0;
    private const int SweepIntervalMs = 250;
    private readonly Epoll _epoll = new(64);
    private readonly int _wakeFd;
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, PendingConnect> _pending = new();
    private readonly Thread _thread;
    private ulong _nextId;
    private volatile bool _stopping;

    public PendingConnects(InflightJournal journal)
    {
        _journal = journal;
        _wakeFd = FileCalls.CreateEventFd().Fd; // fails only without fds or memory: the agent cannot start then
        _epoll.Add(_wakeFd, EPOLL.IN, WakeToken);
        _thread = new Thread(Run, 256 * 1024) { Name = "connect-completion", IsBackground = true };
        _thread.Start();
    }

    public int Count
    {
        get { lock (_lock) return _pending.Count; }
    }

    public void Add(PendingConnect connect)
    {
        connect.JournalSlot = _journal.Acquire();
        _journal.Record(connect.JournalSlot, connect.Session.App.Id, connect.Notification);
        ulong id;
        lock (_lock)
        {
            id = ++_nextId;
            _pending[id] = connect;
        }
        var rc = _epoll.Add(connect.NodeFd, EPOLL.OUT | EPOLL.ONESHOT, id);
        if (!rc.IsError) return;
        if (Take(id) is { } failed)
        {
            Seccomp.Fail(failed.Listener, failed.NotificationId, rc.Error);
            failed.Abandon();
            _journal.Release(failed.JournalSlot);
        }
    }

    private PendingConnect? Take(ulong id)
    {
        lock (_lock) return _pending.Remove(id, out var connect) ? connect : null;
    }

    private void Run()
    {
        var lastSweep = Environment.TickCount64;
        while (!_stopping)
        {
            _epoll.Wait(SweepIntervalMs, (token, _) =>
            {
                if (token == WakeToken || Take(token) is not { } connect) return;
                _epoll.Remove(connect.NodeFd);
                connect.Complete();
                _journal.Release(connect.JournalSlot);
            });
            if (Environment.TickCount64 - lastSweep >= SweepIntervalMs)
            {
                lastSweep = Environment.TickCount64;
                SweepAbandoned(SweepIntervalMs);
            }
        }
        DropWhere(_ => true);
    }

    /// <summary>Drops connects whose caller was interrupted or died, so their node sockets do not linger.</summary>
    private void SweepAbandoned(long olderThanMs)
    {
        var now = Environment.TickCount64;
        DropWhere(c => now - c.StartedTicks >= olderThanMs && !Seccomp.IsValid(c.Listener, c.NotificationId));
    }

    public void DropSession(AppSession session) => DropWhere(c => c.Session == session);

    private void DropWhere(Func<PendingConnect, bool> predicate)
    {
        List<PendingConnect> dropped;
        lock (_lock)
        {
            dropped = [];
            foreach (var (id, connect) in _pending.Where(p => predicate(p.Value)).ToList())
            {
                _pending.Remove(id);
                dropped.Add(connect);
            }
        }
        foreach (var connect in dropped)
        {
            _epoll.Remove(connect.NodeFd);
            connect.Abandon();
            _journal.Release(connect.JournalSlot);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        FileCalls.Signal(_wakeFd);
        _thread.Join(TimeSpan.FromSeconds(2));
        _epoll.Dispose();
        Libc.Close(_wakeFd);
    }
}
