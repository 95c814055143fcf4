using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Translation;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Envoy's choice within one xDS cluster, over the instances a rule's backend found: the lowest locality priority
/// that has a live instance (priority 1 serves only while no endpoint of priority 0 is live — failover, without
/// Envoy's partial spill-over), then a draw weighted by each endpoint's load_balancing_weight. An instance of the
/// service that istiod does not list (an AppSwitch-only instance, reached through a default cluster) counts as
/// priority 0, weight 1, as every instance did before EDS weights were read. Without a cluster the pick is uniform.
/// </summary>
internal static class XdsEndpointBalance
{
    private static readonly XdsEndpoint Unlisted = new(new System.Net.IPEndPoint(0, 0), 1);

    public static T Pick<T>(XdsRegistryView view, string? cluster, IReadOnlyList<T> candidates, Func<XdsRegistryView, string, T, XdsEndpoint?> endpointOf)
    {
        if (cluster is null || candidates.Count == 1) return candidates[Random.Shared.Next(candidates.Count)];
        var endpoints = new XdsEndpoint[candidates.Count];
        var best = int.MaxValue;
        for (var i = 0; i < candidates.Count; i++)
        {
            endpoints[i] = endpointOf(view, cluster, candidates[i]) ?? Unlisted;
            best = Math.Min(best, endpoints[i].Priority);
        }

        var total = 0L;
        foreach (var e in endpoints)
            if (e.Priority == best) total += e.Weight;
        var draw = (long)(Random.Shared.NextDouble() * total);
        var last = -1;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (endpoints[i].Priority != best) continue;
            last = i;
            draw -= endpoints[i].Weight;
            if (draw < 0) return candidates[i];
        }
        return candidates[last];
    }
}
