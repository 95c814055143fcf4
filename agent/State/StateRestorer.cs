using System.Diagnostics;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Interception;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.State;

/// <summary>
/// At start-up, takes back the applications a previous agent supervised (unless --clean): each app's seccomp
/// listener is reclaimed from the copy the launcher left inside it, its servers whose sockets still exist are
/// republished, and calls the previous agent left unanswered are finished. From then on every change of this node's
/// entries is written ahead to the log before it is answered, and the state file follows off the changing threads
/// (<see cref="StateWriter"/>). Runs before the launcher endpoint accepts new apps.
/// </summary>
internal sealed class StateRestorer(AgentOptions options, ServiceTable table, Rules.RuleBook ruleBook, Supervisor supervisor, StateFile stateFile,
    StateWriteAheadLog log, StateWriter writer, InflightJournal journal, NameService.DnsServer dns, ILogger<StateRestorer> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        SavedState? saved = null;
        List<InflightJournal.Entry> unanswered = [];
        if (options.Clean)
        {
            stateFile.Delete();
            log.Clear();
            journal.ClearAll();
            logger.LogInformation("Started clean: saved state discarded");
        }
        else
        {
            saved = Load();
            unanswered = journal.ReadAll();
            journal.ClearAll();
        }
        // From here on every change is written ahead and watched by the writer; the restored entries too (the log
        // being replayed was read above, and the first write below rotates it away).
        table.Revisions.WriteAhead = log;
        writer.Start();
        if (saved is not null) Restore(saved, unanswered, clock);
        writer.Write();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => writer.StopAsync();

    /// <summary>state.json with the write-ahead log replayed over it; null when there is neither.</summary>
    private SavedState? Load()
    {
        SavedState? saved;
        try
        {
            saved = stateFile.Load();
        }
        catch (InvalidDataException e)
        {
            logger.LogWarning("Ignoring saved state: {Reason}", e.Message);
            saved = null;
        }
        var state = saved ?? new SavedState();
        var replayed = log.ReplayOnto(state);
        if (replayed > 0) logger.LogInformation("Replayed {Changes} changes written ahead of the state file", replayed);
        return saved is null && replayed == 0 ? null : state;
    }

    private void Restore(SavedState saved, List<InflightJournal.Entry> unanswered, Stopwatch clock)
    {
        RestoreVServices(saved);
        RestoreRules(saved);
        if (saved.Apps.Count == 0) return;

        var live = ClosedSocketSweeper.LiveInodes();
        var reclaimed = new List<int>();
        int restoredApps = 0, servers = 0, resumed = 0;
        foreach (var savedApp in saved.Apps)
        {
            var listener = Reclaim(savedApp, reclaimed);
            if (listener < 0)
            {
                logger.LogInformation("App {AppId} (pid {Pid}) is gone; dropped with its entries", savedApp.Id, savedApp.Pid);
                continue;
            }
            reclaimed.Add(listener);
            var app = StateFile.ToEntry(savedApp);
            table.AddApp(app);
            foreach (var savedSocket in saved.Sockets.Where(s => s.AppId == app.Id))
            {
                var socket = StateFile.ToEntry(savedSocket, app);
                // Listening and UDP sockets closed meanwhile are gone from the kernel's lists; others can't be checked.
                if (live is not null && ClosedSocketSweeper.IsListed(socket) && !live.Contains(socket.Inode)) continue;
                table.AddSocket(socket);
                if (socket.State == SocketState.Listening || socket.Transport == Transport.Udp)
                {
                    table.AddServer(BindHandler.ServerFor(socket));
                    servers++;
                }
            }
            var calls = unanswered.Where(e => e.AppId == app.Id).Select(e => e.Notification).ToList();
            resumed += calls.Count;
            supervisor.Attach(app, listener, calls);
            RestoreDns(app, savedApp);
            restoredApps++;
        }
        logger.LogInformation("Restored {Apps} of {Saved} apps and {Servers} servers from {Path}; {Calls} unanswered calls resumed ({Ms} ms)",
            restoredApps, saved.Apps.Count, servers, stateFile.Path, resumed, clock.ElapsedMilliseconds);
    }

    /// <summary>Vservices need no process: they come back as they were saved (a bad one is logged and left out).</summary>
    private void RestoreVServices(SavedState saved)
    {
        var specs = saved.VServices ?? [];
        var restored = 0;
        foreach (var spec in specs)
        {
            if (VServiceEntry.FromSpec(spec, owner: null, out var error) is { } vservice && table.AddVService(vservice, out error))
                restored++;
            else
                logger.LogWarning("Saved vservice {VService} not restored: {Reason}", spec.Name, error);
        }
        if (specs.Count > 0)
            logger.LogInformation("Restored {Restored} of {Saved} vservices from {Path}", restored, specs.Count, stateFile.Path);
    }

    /// <summary>Rules need no process either; saved rules are checked again (a hand-edited file may be wrong).</summary>
    private void RestoreRules(SavedState saved)
    {
        var rules = saved.Rules ?? [];
        if (rules.Count == 0) return;
        var problems = AppSwitch.Common.Rules.RuleValidator.CheckBatch(rules.Select((r, i) => (i, r)).ToList());
        var bad = problems.Select(p => p.Path.Split('.')[0]).ToHashSet();
        var good = rules.Where((_, i) => !bad.Contains($"rules[{i}]")).ToList();
        foreach (var problem in problems) logger.LogWarning("Saved rule not restored: {Problem}", problem.ToString());
        ruleBook.Restore(good);
        logger.LogInformation("Restored {Restored} of {Saved} rules from {Path}", good.Count, rules.Count, stateFile.Path);
    }

    /// <summary>Serves the app's DNS sockets again, taken from the copies the launcher left in it.</summary>
    private void RestoreDns(AppEntry app, SavedApp saved)
    {
        if (!options.Dns || app.DnsReclaimFds.Udp < 0) return;
        var udp = TakeFrom(saved, app.DnsReclaimFds.Udp, SOCK.DGRAM);
        var tcp = udp < 0 ? -1 : TakeFrom(saved, app.DnsReclaimFds.Tcp, SOCK.STREAM);
        if (tcp < 0)
        {
            if (udp >= 0) Libc.Close(udp);
            logger.LogWarning("App {AppId}: its DNS sockets could not be taken back; it has no DNS until it restarts", app.Id);
            return;
        }
        dns.Serve(app.Id, udp, tcp);
    }

    /// <summary>A socket of the given type at fd number <paramref name="fdNumber"/> in one of the app's processes, or -1.</summary>
    private static int TakeFrom(SavedApp app, int fdNumber, int socketType) =>
        TakeFrom(app, fdNumber, fd => SocketCalls.TryGetKind(fd, out var kind) && kind.Type == socketType && kind.Domain == AF.INET);

    /// <summary>A copy of fd number <paramref name="fdNumber"/> of one of the app's processes that <paramref name="accept"/> takes, or -1.</summary>
    private static int TakeFrom(SavedApp app, int fdNumber, Func<int, bool> accept)
    {
        if (fdNumber < 0) return -1;
        foreach (var pid in new[] { app.Pid }.Concat(app.KnownPids).Distinct())
        {
            using var pidfd = OwnedFd.From(ProcessAccess.OpenProcessPidfd(pid), out _);
            if (pidfd is null) continue;
            using var fd = OwnedFd.From(ProcessAccess.GetFd(pidfd.Fd, fdNumber), out _);
            if (fd is not null && accept(fd.Fd)) return fd.Release();
        }
        return TakeFromKeeper(app, fdNumber, accept);
    }

    /// <summary>
    /// The same from the app's keeper, which holds its copies at the same numbers outside the app (what is left when
    /// the app closed every fd it inherited) — only while that pid is still the keeper: its start time is compared
    /// after the pidfd pins the process, so a reused pid is never asked.
    /// </summary>
    private static int TakeFromKeeper(SavedApp app, int fdNumber, Func<int, bool> accept)
    {
        if (app.KeeperPid is not > 0 || app.KeeperStarted is null) return -1;
        using var pidfd = OwnedFd.From(ProcessAccess.OpenProcessPidfd(app.KeeperPid.Value), out _);
        if (pidfd is null || ProcessIdentity.StartTime(app.KeeperPid.Value) != app.KeeperStarted) return -1;
        using var fd = OwnedFd.From(ProcessAccess.GetFd(pidfd.Fd, fdNumber), out _);
        return fd is not null && accept(fd.Fd) ? fd.Release() : -1;
    }

    /// <summary>The app's listener, taken from the copy in one of its processes; -1 when none is left.</summary>
    // A reused pid could hold another app's listener at the same number: never attach one twice.
    private static int Reclaim(SavedApp app, List<int> alreadyReclaimed) =>
        TakeFrom(app, app.ReclaimFd, fd => FdPassing.IsSeccompListener(fd) && !alreadyReclaimed.Any(other => ProcessAccess.SameFile(fd, other)));
}
