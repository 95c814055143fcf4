using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Where idle sessions wait without a thread each: one parking thread waits with epoll on the listeners of every
/// parked session (and the agent's stop eventfd). A session thread whose app made no trapped call for the park delay
/// hands its listener over (<see cref="Park"/>) and exits; when the listener turns readable (a call is pending) or
/// hangs up (the app's process tree exited) the session is taken out and handed to <c>wake</c>, which gives it a
/// session thread again — that thread serves the pending call or ends the session as an unparked one would.
/// A thread per app costs ~150 KiB of agent memory (stack pages, runtime thread state); a parked session costs an
/// epoll entry. Busy apps keep their own thread: a shared loop cannot use the kernel's synchronous wake-up and
/// doubled a trapped call's cost (NOTES, "Interception: what was learnt").
/// </summary>
internal sealed class SessionParking : IDisposable
{
    private const ulong StopToken = ulong.MaxValue;
    private readonly Epoll _epoll = new(64);
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, AppSession> _parked = [];
    private readonly Action<AppSession> _wake;

    /// <param name="stopFd">An eventfd that, once readable, ends the parking thread (parked sessions stay as they are).</param>
    /// <param name="wake">Called on the parking thread with a session whose listener has a call pending or hung up.</param>
    public SessionParking(int stopFd, Action<AppSession> wake)
    {
        _wake = wake;
        var added = _epoll.Add(stopFd, EPOLL.IN, StopToken);
        if (added.IsError) throw new InvalidOperationException($"epoll_ctl of the stop eventfd failed: {added.Error}");
        new Thread(Run, 128 * 1024) { Name = "session-parking", IsBackground = true }.Start();
    }

    /// <summary>Sessions parked now.</summary>
    public int Count
    {
        get { lock (_lock) return _parked.Count; }
    }

    /// <summary>
    /// Parks <paramref name="session"/> (its thread calls this, having served every call the listener had). True: the
    /// parking thread owns the session now and the caller must not touch it again (it may be woken before this returns).
    /// False (epoll_ctl failed, e.g. no memory): nothing changed, the caller goes on serving.
    /// </summary>
    public bool Park(AppSession session)
    {
        var token = (ulong)session.ListenerFd;
        lock (_lock) _parked[token] = session; // before the listener is watched: a call may be pending already
        // Level-triggered: a notification that arrived since the session thread's last poll is reported at once.
        if (!_epoll.Add(session.ListenerFd, EPOLL.IN, token).IsError) return true;
        lock (_lock) _parked.Remove(token);
        return false;
    }

    private void Run()
    {
        var stopped = false;
        while (!stopped)
        {
            _epoll.Wait(-1, (token, _) =>
            {
                if (token == StopToken)
                {
                    stopped = true;
                    return;
                }
                AppSession? session;
                lock (_lock)
                    if (!_parked.Remove(token, out session)) return;
                // Taken out before it runs again: the session thread re-parks it with a fresh registration.
                _epoll.Remove(session.ListenerFd);
                _wake(session);
            });
        }
    }

    public void Dispose() => _epoll.Dispose();
}
