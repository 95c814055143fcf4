using System.Collections.Concurrent;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Serves the seccomp listeners of every supervised application from one thread and one epoll set: trapped
/// calls are answered at once, blocking connects complete asynchronously, and an application whose listener
/// hangs up (its whole process tree exited) is removed from the table with everything it owned.
/// </summary>
public sealed class Supervisor : IHostedService, IDisposable
{
    private const ulong ListenerTag = 1UL << 56, WakeToken = 0;
    private const int SweepIntervalMs = 250;

    private readonly ServiceTable _table;
    private readonly ILogger<Supervisor> _logger;
    private readonly Epoll _epoll = new(128);
    private readonly int _wakeFd;
    private readonly ConcurrentDictionary<int, AppSession> _sessions = new();
    private readonly PendingConnects _pending;
    private readonly ConnectHandler _connect;
    private readonly BindHandler _bind;
    private readonly ListenHandler _listen;
    private readonly SocketNameHandler _names;
    private Thread? _thread;
    private volatile bool _stopping;

    public Supervisor(AgentOptions options, ServiceTable table, ILogger<Supervisor> logger)
    {
        _table = table;
        _logger = logger;
        _wakeFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        _epoll.Add(_wakeFd, Libc.EPOLLIN, WakeToken);
        _pending = new PendingConnects(_epoll);
        var sockets = new NodeSocketFactory();
        _connect = new ConnectHandler(table, new ConnectTargetResolver(table), sockets, _pending, logger);
        _bind = new BindHandler(table, sockets, new PortAllocator(options.Ports, options.NodeAddress), logger);
        _listen = new ListenHandler(table, logger);
        _names = new SocketNameHandler(table);
    }

    public int SessionCount => _sessions.Count;

    /// <summary>Starts serving an application's listener (called by the launcher endpoint; thread-safe).</summary>
    public void Attach(AppEntry app, int listenerFd)
    {
        _sessions[listenerFd] = new AppSession(app, listenerFd);
        var rc = _epoll.Add(listenerFd, Libc.EPOLLIN, ListenerTag | (uint)listenerFd);
        if (rc != 0) throw new InvalidOperationException($"cannot watch the seccomp listener: errno {rc}");
        _logger.LogInformation("App {AppId} attached (pid {Pid}, ip {Ip}, name {Name})", app.Id, app.Pid, app.VirtualIp, app.Name);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _thread = new Thread(Run) { Name = "seccomp-supervisor", IsBackground = true };
        _thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        Wake();
        _thread?.Join(TimeSpan.FromSeconds(2));
        return Task.CompletedTask;
    }

    private unsafe void Wake()
    {
        ulong one = 1;
        Libc.Write(_wakeFd, &one, sizeof(ulong));
    }

    private void Run()
    {
        var lastSweep = Environment.TickCount64;
        while (!_stopping)
        {
            try
            {
                _epoll.Wait(SweepIntervalMs, OnEvent);
                if (Environment.TickCount64 - lastSweep >= SweepIntervalMs)
                {
                    lastSweep = Environment.TickCount64;
                    if (_pending.Count > 0) _pending.SweepAbandoned(SweepIntervalMs);
                }
            }
            catch (Exception e)
            {
                // One bad call must not take every application's network down with it.
                _logger.LogError(e, "Supervisor loop error; continuing");
            }
        }
        _pending.DropAll();
    }

    private void OnEvent(ulong token, uint events)
    {
        if (token == WakeToken) return;
        if ((token & PendingConnects.TokenTag) == PendingConnects.TokenTag) { _pending.OnReady(token); return; }
        var listener = (int)(token & 0xFFFFFFFF);
        if (!_sessions.TryGetValue(listener, out var session)) return;
        if ((events & Libc.EPOLLIN) != 0) ServeOne(session);
        else if ((events & (Libc.EPOLLHUP | Libc.EPOLLERR)) != 0) End(session);
    }

    private void ServeOne(AppSession session)
    {
        var rc = Seccomp.Receive(session.ListenerFd, out var notification);
        if (rc != 0) return; // ENOENT: the caller died between the wake-up and the receive
        session.Calls++;
        using var call = new SyscallContext(session, session.ListenerFd, notification);
        try
        {
            Dispatch(call);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "App {AppId}: handling syscall {Nr} failed", session.App.Id, call.Nr);
            call.Fail(Libc.ENOMEM);
        }
    }

    private void Dispatch(SyscallContext call)
    {
        if (call.Nr == SyscallNumbers.Connect) _connect.Handle(call);
        else if (call.Nr == SyscallNumbers.Bind) _bind.Handle(call);
        else if (call.Nr == SyscallNumbers.Listen) _listen.Handle(call);
        else if (call.Nr == SyscallNumbers.GetSockName) _names.Handle(call, peer: false);
        else if (call.Nr == SyscallNumbers.GetPeerName) _names.Handle(call, peer: true);
        else call.Continue(); // a filter from a newer launcher may trap more than we know
    }

    private void End(AppSession session)
    {
        _epoll.Remove(session.ListenerFd);
        _sessions.TryRemove(session.ListenerFd, out _);
        _pending.DropSession(session);
        Libc.Close(session.ListenerFd);
        _table.RemoveApp(session.App.Id);
        _logger.LogInformation("App {AppId} exited ({Calls} calls handled); its entries are removed", session.App.Id, session.Calls);
    }

    public void Dispose()
    {
        _epoll.Dispose();
        Libc.Close(_wakeFd);
    }
}
