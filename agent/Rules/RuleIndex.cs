using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Rules;

/// <summary>
/// The rules in force, indexed for the connect path: immutable, replaced whole by <see cref="RuleBook"/> on each change,
/// so one reference read gives a consistent set (a routing snapshot keeps the one it was built from).
/// </summary>
public sealed class RuleIndex
{
    public static readonly RuleIndex Empty = new([]);

    private readonly IReadOnlyDictionary<string, Rule[]> _routesByDestination;
    private readonly IReadOnlyDictionary<string, Rule[]> _actionsByDestination;
    private readonly IReadOnlySet<string> _httpDestinations;
    private readonly IReadOnlyList<OwnedRule> _effective;

    /// <param name="effective">The rules in force, ordered by destination, then priority (highest first), then id.</param>
    public RuleIndex(IReadOnlyList<OwnedRule> effective)
    {
        _effective = effective;
        _routesByDestination = effective.Where(o => o.Rule.IsRoute)
            .GroupBy(o => o.Rule.Destination, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(o => o.Rule).ToArray(), StringComparer.Ordinal);
        _actionsByDestination = effective.Where(o => o.Rule.Actions is { Count: > 0 })
            .GroupBy(o => o.Rule.Destination, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(o => o.Rule).ToArray(), StringComparer.Ordinal);
        _httpDestinations = effective.Where(o => o.Rule.NeedsHttp).Select(o => o.Rule.Destination).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The route rules in force for a destination service, highest priority first; empty when none.</summary>
    public IReadOnlyList<Rule> RoutesFor(string destination) =>
        _routesByDestination.TryGetValue(destination, out var rules) ? rules : [];

    /// <summary>The action rules in force for a destination service, highest priority first; empty when none.</summary>
    public IReadOnlyList<Rule> ActionsFor(string destination) =>
        _actionsByDestination.TryGetValue(destination, out var rules) ? rules : [];

    /// <summary>True when some service has route or action rules (the connect path skips everything else when not).</summary>
    public bool HasRoutes => _routesByDestination.Count > 0 || _actionsByDestination.Count > 0;

    /// <summary>True when a rule of the destination needs request-level work (its HTTP connections go through the relay).</summary>
    public bool NeedsHttp(string destination) => _httpDestinations.Contains(destination);

    /// <summary>The services with a rule that needs request-level work, sorted.</summary>
    public IReadOnlyList<string> HttpDestinations => _httpDestinations.Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// These rules plus <paramref name="fallback"/>'s for the destinations these have no rule for (xDS rules under our
    /// own: a destination with an `ax create rule`/RoutingRule rule is routed by those alone).
    /// </summary>
    public RuleIndex WithFallback(IReadOnlyList<OwnedRule> fallback)
    {
        if (fallback.Count == 0) return this;
        var own = _effective.Select(o => o.Rule.Destination).ToHashSet(StringComparer.Ordinal);
        var merged = _effective.Concat(fallback.Where(o => !own.Contains(o.Rule.Destination)))
            .OrderBy(o => o.Rule.Destination, StringComparer.Ordinal).ThenByDescending(o => o.Rule.Priority).ThenBy(o => o.Rule.Id, StringComparer.Ordinal)
            .ToList();
        return new RuleIndex(merged);
    }
}
