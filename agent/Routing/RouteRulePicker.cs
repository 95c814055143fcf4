using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Applies Amalgam8 route rules at connect (L4): for a destination service with route rules, the highest-priority
/// rule whose `match.source` fits the connecting app (its name; its labels as tags) chooses a backend by weight, and
/// the connection goes to a random instance of that backend (an instance whose tags include all the backend's).
/// Rules that match on headers need the HTTP relay and are passed over here. Backends with no reachable instance
/// give up their share to the others; a rule none of whose backends has an instance refuses the connection.
/// </summary>
internal static class RouteRulePicker
{
    /// <summary>
    /// The instance chosen for <paramref name="client"/> (null: a client outside AppSwitch, which matches only rules
    /// without a source), or null: <paramref name="applied"/> false when no rule
    /// applies (resolve as usual), true when a rule applies but none of its backends has a reachable instance.
    /// </summary>
    public static ServerEntry? Pick(RoutingSnapshot snapshot, AppEntry? client, string service, int port, Transport transport,
        Func<ServerEntry, bool> reachable, out Rule? applied)
    {
        applied = null;
        var rules = snapshot.Rules.RoutesFor(service);
        if (rules.Count == 0) return null;
        foreach (var rule in rules)
        {
            if (rule.Match?.Headers is { Count: > 0 } || !Matches(rule.Match?.Source, client, snapshot)) continue;
            applied = rule;
            break;
        }
        return applied is null ? null : PickInstance(snapshot, applied, service, port, transport, reachable);
    }

    /// <summary>
    /// An instance of one of <paramref name="rule"/>'s backends, chosen by weight among the backends with a reachable
    /// instance (then among its instances: uniformly, or by an xDS backend's EDS priorities and weights,
    /// <see cref="XdsEndpointBalance"/>); null when none has one. Shared with the HTTP relay, per request.
    /// </summary>
    public static ServerEntry? PickInstance(RoutingSnapshot snapshot, Rule rule, string service, int port, Transport transport,
        Func<ServerEntry, bool> reachable)
    {
        var backends = rule.Route!.Backends;
        var candidates = new List<ServerEntry>[backends.Count];
        var weights = Weights(backends);
        var total = 0.0;
        for (var i = 0; i < backends.Count; i++)
        {
            var name = backends[i].Name ?? service;
            var instances = snapshot.ServersOfService(name, port, transport);
            candidates[i] = instances.Where(s => InstanceTags.HasAll(snapshot, s, backends[i].Tags) && reachable(s)).ToList();
            if (candidates[i].Count == 0) weights[i] = 0;
            total += weights[i];
        }
        if (total <= 0) return null;
        var draw = Random.Shared.NextDouble() * total;
        for (var i = 0; i < backends.Count; i++)
        {
            if (weights[i] <= 0) continue;
            draw -= weights[i];
            if (draw < 0 || i == LastPositive(weights))
                return XdsEndpointBalance.Pick(snapshot.Xds, backends[i].XdsCluster, candidates[i],
                    static (view, cluster, s) => view.Endpoint(cluster, s.Virtual) ?? view.Endpoint(cluster, s.Node));
        }
        return null;
    }

    public static bool Matches(RuleSource? source, AppEntry? client, RoutingSnapshot snapshot)
    {
        if (source is null) return true;
        if (client is null) return false;
        var identity = SourceIdentity.Of(client, snapshot.Kubernetes);
        return (source.Name is null || source.Name == identity.Name) && InstanceTags.HasAll(identity.Tags, source.Tags);
    }

    /// <summary>Given weights as they are; the backends without one share what is left equally.</summary>
    internal static double[] Weights(IReadOnlyList<RuleBackend> backends)
    {
        var weights = new double[backends.Count];
        var given = 0.0;
        var unweighted = 0;
        foreach (var backend in backends)
            if (backend.Weight is { } w) given += w; else unweighted++;
        var share = unweighted == 0 ? 0 : Math.Max(0, 1 - given) / unweighted;
        for (var i = 0; i < backends.Count; i++) weights[i] = backends[i].Weight ?? share;
        return weights;
    }

    private static int LastPositive(double[] weights)
    {
        for (var i = weights.Length - 1; i >= 0; i--)
            if (weights[i] > 0) return i;
        return -1;
    }
}
