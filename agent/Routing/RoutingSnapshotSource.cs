using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Agent.Xds;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Keeps the routing snapshot in force. A change of a source (table, rules, Kubernetes view) only marks the snapshot
/// stale; the first read after it builds the next one (guarded: one builder at a time). So a burst of binds costs
/// one build at the next connect, not one per bind, and a connect after a change sees it. Reads in the common case
/// are one volatile field read: no lock on the connect path.
/// </summary>
internal sealed class RoutingSnapshotSource : IRoutingSnapshotSource
{
    private readonly ServiceTable _table;
    private readonly EgressPolicy _egress;
    private readonly Rules.RuleBook _rules;
    private readonly Kubernetes.KubernetesRegistry _kubernetes;
    private readonly XdsRegistry? _xds;
    private readonly Lock _build = new();
    // Guards _changes and the publication of a built snapshot against a change that arrives while it is built.
    private readonly Lock _publish = new();
    private long _changes;
    private volatile RoutingSnapshot? _current;

    public RoutingSnapshotSource(ServiceTable table, Rules.RuleBook rules, Kubernetes.KubernetesRegistry kubernetes, EgressPolicy? egress = null,
        XdsRegistry? xds = null)
    {
        _table = table;
        _rules = rules;
        _kubernetes = kubernetes;
        _egress = egress ?? EgressPolicy.AllowAll;
        _xds = xds;
        if (xds is not null) xds.Replaced += Invalidate;
        // Synchronous on purpose (cheap: marks stale): a connect right after a `listen` answer must see the new server.
        table.RoutingChanged += Invalidate;
        rules.IndexChanged += Invalidate;
        kubernetes.Replaced += Invalidate;
    }

    public RoutingSnapshot Current => _current ?? Rebuild();

    /// <summary>How many snapshots were built (for tests: a burst of changes without a read in between builds none).</summary>
    public long Builds { get; private set; }

    // Not rebuilt here, on the changing thread: binds run on the app's session thread (NOTES, "Architecture: agent/Routing").
    private void Invalidate()
    {
        lock (_publish)
        {
            _changes++;
            _current = null;
        }
    }

    private RoutingSnapshot Rebuild()
    {
        lock (_build)
        {
            if (_current is { } built) return built; // another reader built it meanwhile
            long seen;
            lock (_publish) seen = _changes;
            // Read after `seen`: a change from here on bumps _changes, so this snapshot is not published as current.
            var xds = _xds?.Config; // one read: the rules and the view they name come from the same accepted config
            var snapshot = RoutingSnapshot.Build(seen, _table.Image(), Rules(xds), _kubernetes.View, _egress, xds?.View);
            Builds++;
            lock (_publish)
                if (_changes == seen) _current = snapshot;
            return snapshot; // at least as new as the caller's read: every change before it is in
        }
    }

    // xDS route rules (istiod) apply to the destinations our own rules leave alone.
    private RuleIndex Rules(XdsConfig? xds) => xds?.Rules is { Count: > 0 } xdsRules
        ? _rules.Index.WithFallback(xdsRules.Select(r => new OwnedRule(XdsRuleOwner, r)).ToList())
        : _rules.Index;

    /// <summary>The owner xDS rules are recorded under (no node is named so: a node name never contains ':').</summary>
    public const string XdsRuleOwner = "xds:istiod";
}
