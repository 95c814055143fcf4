using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Rules;

/// <summary>
/// The cluster's Amalgam8 rules as this node knows them: the rules created here (owned by this node, saved in
/// state.json and published with its gossip state) and replicas of every other node's, replaced as a whole by each
/// newer publication and dropped when that node dies or leaves. Every node therefore ends with the same set.
/// Ids are unique cluster-wide; if two nodes race to create one id, the owner whose name sorts first wins
/// everywhere (<see cref="Effective"/>). Changes of this node's rules are all-or-nothing per batch; each batch is
/// reported to <c>changed</c> (the write-ahead log records the batch, not the whole list).
/// </summary>
public sealed class RuleBook(string nodeName, Action<OwnRuleChange> changed)
{
    /// <summary>A node's rules ride in its gossip state (at most 4 MiB): a few KB per rule leaves room for everything else.</summary>
    public const int MaxOwnRules = 1000;

    /// <summary>The owner named for rules from Kubernetes RoutingRule objects (changed with kubectl, not here).</summary>
    public const string KubernetesOwner = "kubernetes";

    private readonly Lock _lock = new();
    private readonly List<Rule> _own = [];
    private readonly SortedDictionary<string, IReadOnlyList<Rule>> _remote = new(StringComparer.Ordinal);
    // RoutingRule objects (--rules-adapter kubernetes): every agent watches them, so no node owns or publishes them.
    private IReadOnlyList<Rule> _kubernetes = [];
    private long _revision;
    private IReadOnlyList<OwnedRule>? _effective;
    // Read without the lock (routing snapshots, the HTTP relay per request): replaced whole on each change.
    private volatile RuleIndex _index = RuleIndex.Empty;

    /// <summary>The rules in force, indexed; one consistent set (a later change replaces it, never alters it).</summary>
    public RuleIndex Index => _index;

    /// <summary>
    /// Raised after every change of the rules in force (own, replicas, Kubernetes), under the book's lock: handlers
    /// must only note it (a routing snapshot source marks itself stale) and never call back into the book.
    /// </summary>
    public event Action? IndexChanged;

    /// <summary>Grows with every change of the known set (own or replica): clients can tell a newer view.</summary>
    public long Revision
    {
        get { lock (_lock) return _revision; }
    }

    public IReadOnlyList<Rule> Own()
    {
        lock (_lock) return _own.ToArray();
    }

    /// <summary>The rules in force: one per id, ordered by destination, then priority (highest first), then id.</summary>
    public IReadOnlyList<OwnedRule> Effective()
    {
        lock (_lock) return _effective ??= ComputeEffectiveLocked();
    }

    /// <summary>Adds a batch of this node's rules; ids are generated where missing. Nothing is added if one id is taken.</summary>
    public RuleStoreOutcome Create(IReadOnlyList<Rule> rules, out IReadOnlyList<string> ids, out string? problem)
    {
        var withIds = rules.Select(r => r.Id.Length > 0 ? r : r with { Id = Guid.NewGuid().ToString() }).ToList();
        ids = withIds.Select(r => r.Id).ToList();
        lock (_lock)
        {
            if (_own.Count + withIds.Count > MaxOwnRules)
            {
                problem = $"this node would hold {_own.Count + withIds.Count} rules, over {MaxOwnRules} (they travel in its gossip state)";
                return RuleStoreOutcome.Conflict;
            }
            for (var i = 0; i < withIds.Count; i++)
                if (OwnerLocked(withIds[i].Id) is { } owner)
                {
                    problem = $"rules[{i}].id: rule \"{withIds[i].Id}\" already exists (on node {owner}); PUT /v1/rules replaces it";
                    return RuleStoreOutcome.Conflict;
                }
            _own.AddRange(withIds);
            ChangedLocked();
        }
        problem = null;
        changed(OwnRuleChange.Of(withIds));
        return RuleStoreOutcome.Done;
    }

    /// <summary>Replaces rules of this node by id (PUT); all must exist here, else nothing changes.</summary>
    public RuleStoreOutcome Update(IReadOnlyList<Rule> rules, out string? problem) =>
        ChangeOwn(rules.Select((r, i) => (r.Id, $"rules[{i}].id: rule")).ToList(),
            () => { foreach (var rule in rules) _own[_own.FindIndex(r => r.Id == rule.Id)] = rule; }, OwnRuleChange.Of(rules.ToList()), out problem);

    /// <summary>Deletes rules of this node by id; all must exist here, else nothing changes.</summary>
    public RuleStoreOutcome Delete(IReadOnlyList<string> ids, out string? problem) =>
        ChangeOwn(ids.Select(id => (id, "rule")).ToList(), () => _own.RemoveAll(r => ids.Contains(r.Id)), OwnRuleChange.Deleted(ids.ToList()), out problem);

    /// <summary>Checks that every id is one of this node's rules, then applies the change under the lock.</summary>
    private RuleStoreOutcome ChangeOwn(IReadOnlyList<(string Id, string What)> ids, Action change, OwnRuleChange reported, out string? problem)
    {
        lock (_lock)
        {
            foreach (var (id, what) in ids)
                if (CheckOwnLocked(id, what, out problem) is var outcome && outcome != RuleStoreOutcome.Done)
                    return outcome;
            change();
            ChangedLocked();
        }
        problem = null;
        changed(reported);
        return RuleStoreOutcome.Done;
    }

    /// <summary>Puts back the rules a previous run of this agent saved (no change event: they are already saved).</summary>
    public void Restore(IReadOnlyList<Rule> rules)
    {
        lock (_lock)
        {
            _own.Clear();
            _own.AddRange(rules.DistinctBy(r => r.Id));
            ChangedLocked();
        }
    }

    /// <summary>Replaces everything known of another node's rules with its latest publication.</summary>
    public void ReplaceRemote(string node, IReadOnlyList<Rule> rules)
    {
        lock (_lock)
        {
            if (rules.Count == 0 && !_remote.ContainsKey(node)) return;
            if (rules.Count == 0) _remote.Remove(node); else _remote[node] = rules;
            ChangedLocked();
        }
    }

    /// <summary>Replaces the rules read from Kubernetes RoutingRule objects (owner <see cref="KubernetesOwner"/>).</summary>
    public void ReplaceKubernetes(IReadOnlyList<Rule> rules)
    {
        lock (_lock)
        {
            if (rules.Count == 0 && _kubernetes.Count == 0) return;
            _kubernetes = rules;
            ChangedLocked();
        }
    }

    public void RemoveRemote(string node)
    {
        lock (_lock)
            if (_remote.Remove(node)) ChangedLocked();
    }

    private RuleStoreOutcome CheckOwnLocked(string id, string what, out string? problem)
    {
        problem = null;
        if (_own.Any(r => r.Id == id)) return RuleStoreOutcome.Done;
        if (OwnerLocked(id) is { } owner)
        {
            problem = owner == KubernetesOwner && _kubernetes.Any(r => r.Id == id)
                ? $"{what} \"{id}\" comes from a Kubernetes RoutingRule: change it with kubectl"
                : $"{what} \"{id}\" belongs to node {owner}: change it there";
            return RuleStoreOutcome.Conflict;
        }
        problem = id.Length == 0 ? $"{what}: an id is required" : $"{what} \"{id}\" not found";
        return RuleStoreOutcome.NotFound;
    }

    private string? OwnerLocked(string id) =>
        _own.Any(r => r.Id == id) ? nodeName
        : _kubernetes.Any(r => r.Id == id) ? KubernetesOwner
        : _remote.FirstOrDefault(n => n.Value.Any(r => r.Id == id)).Key;

    private void ChangedLocked()
    {
        _revision++;
        _effective = ComputeEffectiveLocked();
        _index = new RuleIndex(_effective);
        IndexChanged?.Invoke();
    }

    private List<OwnedRule> ComputeEffectiveLocked() =>
        _own.Select(r => new OwnedRule(nodeName, r))
            .Concat(_remote.SelectMany(n => n.Value.Select(r => new OwnedRule(n.Key, r))))
            .Concat(_kubernetes.Select(r => new OwnedRule(KubernetesOwner, r)))
            .GroupBy(o => o.Rule.Id, StringComparer.Ordinal)
            .Select(g => g.MinBy(o => o.Node, StringComparer.Ordinal)!)
            .OrderBy(o => o.Rule.Destination, StringComparer.Ordinal)
            .ThenByDescending(o => o.Rule.Priority)
            .ThenBy(o => o.Rule.Id, StringComparer.Ordinal)
            .ToList();
}
