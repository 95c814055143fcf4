using System.Net;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// A connect to a Kubernetes Service's ClusterIP:port goes to one of its ready endpoints (pod ip:port): the one the
/// Service's route rules choose (same rule choice and weights as <see cref="RouteRulePicker"/>, over the instances'
/// tags), else any at random. No ready endpoint — or a rule none of whose backends has one — refuses the connect.
/// </summary>
internal static class KubernetesTargetPicker
{
    public static IPEndPoint? Pick(RoutingSnapshot snapshot, AppEntry? client, KubeVirtualEndpoint service, out Rule? applied)
    {
        applied = null;
        var backends = service.Backends;
        if (backends.Count == 0) return null;
        if (snapshot.Rules.HasRoutes)
        {
            foreach (var rule in snapshot.Rules.RoutesFor(service.Service))
            {
                if (rule.Match?.Headers is { Count: > 0 } || !RouteRulePicker.Matches(rule.Match?.Source, client, snapshot)) continue;
                applied = rule;
                return PickByRule(snapshot, rule, service, backends);
            }
        }
        return Endpoint(backends[backends.Count == 1 ? 0 : Random.Shared.Next(backends.Count)]);
    }

    private static IPEndPoint? PickByRule(RoutingSnapshot snapshot, Rule rule, KubeVirtualEndpoint service, IReadOnlyList<KubeServiceInstance> instances)
    {
        var backends = rule.Route!.Backends;
        var weights = RouteRulePicker.Weights(backends);
        var candidates = new List<KubeServiceInstance>[backends.Count];
        var total = 0.0;
        for (var i = 0; i < backends.Count; i++)
        {
            var name = backends[i].Name ?? service.Service;
            candidates[i] = instances.Where(s => s.Service == name && InstanceTags.HasAll(snapshot, Endpoint(s), s.Tags, backends[i].Tags)).ToList();
            if (candidates[i].Count == 0) weights[i] = 0;
            total += weights[i];
        }
        if (total <= 0) return null;
        var draw = Random.Shared.NextDouble() * total;
        var last = Array.FindLastIndex(weights, w => w > 0);
        for (var i = 0; i < backends.Count; i++)
        {
            if (weights[i] <= 0) continue;
            draw -= weights[i];
            if (draw < 0 || i == last)
                return Endpoint(XdsEndpointBalance.Pick(snapshot.Xds, backends[i].XdsCluster, candidates[i],
                    static (view, cluster, s) => view.Endpoint(cluster, Endpoint(s))));
        }
        return null;
    }

    private static IPEndPoint Endpoint(KubeServiceInstance instance) => IPEndPoint.Parse(instance.Endpoint.Value);
}
