using System.Net;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// Keeps this node's relays in line with the table: at each new table revision (this node's changes and other nodes'
/// alike) that changed what relays are planned from (<see cref="ServiceTable.RelayRevision"/>) it asks
/// <see cref="RelayPlanner"/>, opens new relays and closes those no longer wanted. A failed listener
/// is logged once, shown by `ax get proxies`, retried every few seconds while it fails, and never stops the agent.
/// </summary>
public sealed class RelayManager : BackgroundService
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);
    private readonly ServiceTable _table;
    private readonly RelayRouteResolver _routes;
    private readonly ILogger<RelayManager> _logger;
    private readonly ILoggerFactory _loggers;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPEndPoint, (TcpRelay Relay, DateTime LastTry)> _relays = new();
    /// <summary>The copy engine: splice unless AX_RELAY_COPY=buffers (kept to compare them in tests/bench).</summary>
    private readonly SpliceEngine? _splice;

    /// <param name="router">The apps' router: one BackendPicker, so RoundRobin counts relayed and app connections alike.</param>
    /// <param name="loggers">Each relay part logs as itself (RelayManager, TcpRelay, SpliceEngine).</param>
    internal RelayManager(ServiceTable table, IConnectRouter router, ILoggerFactory loggers)
    {
        _table = table;
        _loggers = loggers;
        _logger = loggers.CreateLogger<RelayManager>();
        _routes = new RelayRouteResolver(table, router);
        if (Environment.GetEnvironmentVariable("AX_RELAY_COPY") != "buffers") _splice = new SpliceEngine(loggers.CreateLogger<SpliceEngine>());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var revisions = _table.Revisions.Subscribe();
        try
        {
            Task<bool>? revised = null;
            long? planned = null;
            while (!stoppingToken.IsCancellationRequested)
            {
                // A plan reads every vservice of the cluster: not again for a change that cannot alter it.
                var relayRevision = _table.RelayRevision;
                if (relayRevision != planned || HasFailedListener())
                {
                    planned = relayRevision; // read before planning: a change meanwhile plans again
                    Reconcile();
                }
                revised ??= revisions.WaitToReadAsync(stoppingToken).AsTask();
                // A listener whose port was taken is retried on a timer only while one fails; else a revision wakes us.
                if (HasFailedListener()) await Task.WhenAny(revised, Task.Delay(RetryInterval, stoppingToken));
                else await revised;
                if (!revised.IsCompleted) continue;
                if (!await revised) break;
                revisions.TryRead(out _);
                revised = null;
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            _table.Revisions.Unsubscribe(revisions);
        }
    }

    private bool HasFailedListener()
    {
        lock (_lock) return _relays.Values.Any(r => !r.Relay.Listening);
    }

    /// <summary>Brings the running relays in line with the plan (also called by tests and at shutdown with none).</summary>
    public void Reconcile()
    {
        var wanted = new Dictionary<IPEndPoint, RelaySpec>();
        foreach (var spec in RelayPlanner.Plan(_table)) wanted.TryAdd(spec.Listener, spec); // the planner's order decides
        var now = DateTime.UtcNow;
        lock (_lock)
        {
            foreach (var (listener, (relay, _)) in _relays.ToList())
                if (!wanted.TryGetValue(listener, out var spec) || spec != relay.Spec)
                {
                    relay.Dispose();
                    _relays.Remove(listener);
                }
            foreach (var (listener, spec) in wanted)
            {
                if (_relays.TryGetValue(listener, out var running))
                {
                    if (running.Relay.Listening || now - running.LastTry < RetryInterval) continue;
                    running.Relay.TryListen();
                    _relays[listener] = (running.Relay, now);
                    continue;
                }
                var relay = new TcpRelay(spec, _routes, _splice, _loggers.CreateLogger<TcpRelay>());
                relay.TryListen();
                _relays[listener] = (relay, now);
            }
        }
    }

    /// <summary>The relays as `ax get proxies` shows them.</summary>
    public IReadOnlyList<ProxyRecord> Records()
    {
        lock (_lock)
            return _relays.Values.Select(r => r.Relay).OrderBy(r => r.Spec.Listener.Port).Select(r => new ProxyRecord
            {
                Id = r.Spec.Route.Id, Proto = r.Spec.Transport == Transport.Tcp ? "tcp" : "udp",
                Listener = r.Spec.Listener.ToString(), Dialers = _routes.Describe(r.Spec.Route),
                State = r.Listening ? "listening" : $"failed: {r.Error}", NodeId = _table.Node.Name,
                Connections = r.Counters.Connections, Active = r.Counters.Active, Refused = r.Counters.Refused,
                BytesIn = r.Counters.BytesIn, BytesOut = r.Counters.BytesOut,
            }).ToList();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        lock (_lock)
        {
            foreach (var (relay, _) in _relays.Values) relay.Dispose();
            _relays.Clear();
        }
        _splice?.Dispose();
    }
}
