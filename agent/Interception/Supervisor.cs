using System.Collections.Concurrent;
using System.Diagnostics;
using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.L7;
using AppSwitch.Agent.Metrics;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.State;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Serves the seccomp listeners of every supervised application. Each application has its own session
/// thread that waits on its listener with poll(): with the kernel's synchronous wake-up the trapped thread
/// and its session thread hand over on one CPU, which halves the cost of a trapped call compared with a
/// shared epoll loop. Blocking connects complete on the shared completion thread, never in a session.
/// An application whose listener hangs up (its whole process tree exited) is removed with all it owned.
/// A session thread whose app made no trapped call for --session-park-delay parks the session
/// (<see cref="SessionParking"/>) and exits; its first call after that starts a session thread again.
/// </summary>
public sealed class Supervisor : IHostedService, IDisposable
{
    /// <summary>
    /// Large on purpose, though a session touches a few pages of it: glibc keeps the stacks of exited threads for reuse
    /// up to 40 MiB in all, ~17 KiB of each resident. Parking ends session threads all the time, so at 256 KiB up to 157
    /// cached stacks (2.6 MiB) grew with the number of apps started at once; at 2 MiB at most 20 are kept (NOTES "appmem").
    /// </summary>
    private const int SessionStackSize = 2 * 1024 * 1024;
    private readonly ServiceTable _table;
    private readonly ILogger<Supervisor> _logger;
    private readonly int _stopFd;
    private readonly ConcurrentDictionary<int, AppSession> _sessions = new();
    private readonly PendingConnects _pending;
    private readonly HeldConnects _held;
    private readonly InflightJournal _journal;
    private readonly ConnectHandler _connect;
    private readonly BindHandler _bind;
    private readonly PortAllocator _ports;
    private readonly ListenHandler _listen;
    private readonly SocketNameHandler _names;
    private readonly SendToHandler _sendTo;
    private readonly SendMsgHandler _sendMsg;
    private readonly AgentMetrics _metrics;
    private readonly SessionParking _parking;
    private readonly int _parkDelayMs;
    private volatile bool _stopping;

    /// <param name="router">Where connects go; shared with the relays so that RoundRobin counts every connection once.</param>
    /// <param name="translations">The socket lock's unconnected UDP translations; null: the agent sends such datagrams itself.</param>
    internal Supervisor(AgentOptions options, ServiceTable table, InflightJournal journal, ILoggerFactory loggers,
        IConnectRouter router, HttpRelay httpRelay, ClusterReadiness readiness, AgentMetrics metrics, DatagramTranslations? translations = null,
        ClientMarker? clients = null)
    {
        _table = table;
        _metrics = metrics;
        _logger = loggers.CreateLogger<Supervisor>();
        _journal = journal;
        _pending = new PendingConnects(journal);
        _stopFd = FileCalls.CreateEventFd().Fd; // fails only without fds or memory: the agent cannot start then
        var sockets = new NodeSocketFactory();
        _held = new HeldConnects(readiness, journal, loggers.CreateLogger<HeldConnects>());
        clients ??= new ClientMarker(table, null);
        var datagramClients = new DatagramClientMarker(table, translations, options.NodeAddress, options.PreserveClientIp, clients.Maps);
        _connect = new ConnectHandler(table, router, sockets, httpRelay, _pending, _held, translations,
            clients, datagramClients, loggers.CreateLogger<ConnectHandler>());
        _ports = new PortAllocator(options.Ports, options.NodeAddress);
        _bind = new BindHandler(table, sockets, _ports, loggers.CreateLogger<BindHandler>());
        _listen = new ListenHandler(table, loggers.CreateLogger<ListenHandler>());
        _names = new SocketNameHandler(table);
        var sends = new AddressedSend(router, sockets, translations, datagramClients, loggers.CreateLogger<AddressedSend>());
        _sendTo = new SendToHandler(sends);
        _sendMsg = new SendMsgHandler(sends);
        _parkDelayMs = (int)Math.Clamp(options.SessionParkDelay.TotalMilliseconds, 1, int.MaxValue);
        _parking = new SessionParking(_stopFd, Unpark);
        metrics.Meter.CreateObservableGauge("appswitch_app_sessions", ObserveSessions, null,
            "Sessions of this node's apps, by state (serving: with a thread of their own; parked: idle, waiting without one)");
    }

    public int SessionCount => _sessions.Count;

    /// <summary>Sessions parked now (no thread of their own).</summary>
    public int ParkedCount => _parking.Count;

    private IEnumerable<System.Diagnostics.Metrics.Measurement<int>> ObserveSessions()
    {
        var parked = _parking.Count;
        yield return new(_sessions.Count - parked, new KeyValuePair<string, object?>("state", "serving"));
        yield return new(parked, new KeyValuePair<string, object?>("state", "parked"));
    }

    /// <summary>
    /// Starts serving an application's listener (thread-safe). <paramref name="unanswered"/> are calls a
    /// previous agent received from this listener but never answered; they are finished first.
    /// </summary>
    internal void Attach(AppEntry app, int listenerFd, IReadOnlyList<Seccomp.Notification>? unanswered = null)
    {
        Seccomp.TrySetSyncWakeUp(listenerFd);
        var session = new AppSession(app, listenerFd) { JournalSlot = _journal.Acquire() };
        _sessions[listenerFd] = session;
        StartThread(session, unanswered ?? []);
        _logger.LogInformation("App {AppId} attached (pid {Pid}, ip {Ip}, name {Name})", app.Id, app.Pid, app.VirtualIp, app.Name);
    }

    private void StartThread(AppSession session, IReadOnlyList<Seccomp.Notification> unanswered) =>
        new Thread(() => Serve(session, unanswered), SessionStackSize) { Name = $"app-{session.App.Id}", IsBackground = true }.Start();

    /// <summary>On the parking thread: the parked session's listener has a call pending or hung up.</summary>
    private void Unpark(AppSession session)
    {
        if (_stopping) return;
        _logger.LogDebug("App {AppId}: session unparked", session.App.Id);
        StartThread(session, []);
    }

    /// <summary>
    /// Hands an idle session to the parking thread. True: parked, the calling session thread must end without touching
    /// the session again. Its thread handles and spare socket are released first (the next call opens them anew, ~6 µs
    /// each once): a parked session holds no fds but its listener, and the parking thread needs no pidfd watch.
    /// </summary>
    private bool TryPark(AppSession session)
    {
        if (_stopping) return false;
        session.ReleaseHandles();
        _logger.LogDebug("App {AppId}: session parked after {DelayMs} ms without a trapped call ({Calls} calls so far)",
            session.App.Id, _parkDelayMs, session.Calls);
        return _parking.Park(session);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        FileCalls.Signal(_stopFd); // wakes every session thread
        return Task.CompletedTask;
    }

    private unsafe void Serve(AppSession session, IReadOnlyList<Seccomp.Notification> unanswered)
    {
        foreach (var notification in unanswered)
        {
            if (!Seccomp.IsValid(session.ListenerFd, notification.Id)) continue; // answered or given up meanwhile
            _logger.LogInformation("App {AppId}: finishing call {Nr} of thread {Tid} left unanswered by the previous agent",
                session.App.Id, notification.Nr, notification.Pid);
            Handle(session, notification, recovering: true);
        }
        const int Fixed = 2;
        var fds = stackalloc Libc.PollFd[Fixed + ThreadHandles.MaxThreads];
        while (!_stopping)
        {
            fds[0] = new Libc.PollFd { Fd = session.ListenerFd, Events = POLL.IN };
            fds[1] = new Libc.PollFd { Fd = _stopFd, Events = POLL.IN };
            // Also the pidfds of the app's threads the session keeps handles for: one is readable once its thread exited.
            var count = Fixed + session.Handles.PollFds(new Span<Libc.PollFd>(fds + Fixed, ThreadHandles.MaxThreads));
            // Not a blocking RECV without poll (1.4 µs less): stop could not wake the thread, and a call received during
            // shutdown and not yet journalled would hang its caller (NOTES, "Data-path benchmark and the connect path's cost").
            // The timeout costs a sleeping poll ~1 µs of hrtimer set-up per trapped call (C-measured): inside the noise
            // of a connect (NOTES "park"), and what lets an idle app give its thread back.
            var polled = FileCalls.Poll(fds, count, _parkDelayMs);
            if (polled.IsError)
            {
                if (polled.Error == Errno.EINTR) continue;
                _logger.LogError("App {AppId}: poll on its listener failed: {Errno}", session.App.Id, polled.Error);
                break;
            }
            if (polled.Value == 0)
            {
                if (TryPark(session)) return; // the parking thread owns the session now
                continue;
            }
            if ((fds[0].REvents & POLL.IN) != 0) ServeOne(session);
            else if ((fds[0].REvents & (POLL.HUP | POLL.ERR | POLL.NVAL)) != 0) break;
            for (var i = Fixed; i < count; i++)
            {
                if (fds[i].REvents == 0) continue;
                session.Handles.DropExited();
                break;
            }
        }
        if (!_stopping) End(session);
    }

    private void ServeOne(AppSession session)
    {
        var received = Seccomp.Receive(session.ListenerFd, out var notification);
        if (received.IsError) return; // ENOENT: the caller died between the wake-up and the receive
        Handle(session, notification, recovering: false);
    }

    private void Handle(AppSession session, in Seccomp.Notification notification, bool recovering)
    {
        session.Calls++;
        _journal.Record(session.JournalSlot, session.App.Id, notification);
        LearnProcess(session, (int)notification.Pid);
        using var call = new SyscallContext(session, session.ListenerFd, notification) { Recovering = recovering };
        var started = Stopwatch.GetTimestamp();
        try
        {
            Dispatch(call);
        }
        catch (Exception e)
        {
            // One bad call must not take the application's network down with it.
            _logger.LogError(e, "App {AppId}: handling syscall {Nr} failed", session.App.Id, call.Nr);
            call.Fail(Errno.ENOMEM);
        }
        _journal.Clear(session.JournalSlot);
        Count(call, started);
    }

    private void Count(SyscallContext call, long started)
    {
        if (call.Nr == SyscallNumbers.Connect) _metrics.ConnectDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        _metrics.TrappedCalls.Add(1, new("syscall", TrappedCallLabels.Syscall(call.Nr)), new("outcome", call.Outcome ?? TrappedCallLabels.Pending));
    }

    /// <summary>
    /// Remembers the processes of the app (a few): if its launcher process exits (a daemonizing server),
    /// a restarted agent can still find the listener copy in one of them.
    /// </summary>
    private void LearnProcess(AppSession session, int tid)
    {
        if (session.SeenThreads.Count >= AppSession.MaxSeenThreads || !session.SeenThreads.Add(tid)) return;
        var pid = tid == session.App.Pid ? tid : ProcessAccess.ThreadGroupOf(tid);
        if (pid == session.App.Pid || session.App.KnownPids.Count >= AppSession.MaxKnownPids) return;
        bool added;
        lock (session.App.KnownPids) added = session.App.KnownPids.Add(pid);
        if (added) _table.Touch(session.App);
    }

    private void Dispatch(SyscallContext call)
    {
        if (call.Nr == SyscallNumbers.Connect) _connect.Handle(call);
        else if (call.Nr == SyscallNumbers.Bind) _bind.Handle(call);
        else if (call.Nr == SyscallNumbers.Listen) _listen.Handle(call);
        else if (call.Nr == SyscallNumbers.GetSockName) _names.Handle(call, peer: false);
        else if (call.Nr == SyscallNumbers.GetPeerName) _names.Handle(call, peer: true);
        else if (call.Nr == SyscallNumbers.SendTo) _sendTo.Handle(call);
        else if (call.Nr == SyscallNumbers.SendMsg) _sendMsg.Handle(call, vector: false); // only under --trap-sendmsg
        else if (call.Nr == SyscallNumbers.SendMmsg) _sendMsg.Handle(call, vector: true);
        else call.Continue(); // a filter from a newer launcher may trap more than we know
    }

    private void End(AppSession session)
    {
        _journal.Release(session.JournalSlot);
        _sessions.TryRemove(session.ListenerFd, out _);
        _pending.DropSession(session);
        session.ReleaseHandles();
        Libc.Close(session.ListenerFd);
        _table.RemoveApp(session.App.Id);
        _ports.Forget(session.App.Id);
        _logger.LogInformation("App {AppId} exited ({Calls} calls handled); its entries are removed", session.App.Id, session.Calls);
    }

    public void Dispose()
    {
        _parking.Dispose();
        _pending.Dispose();
        _held.Dispose();
        Libc.Close(_stopFd);
    }
}
