using System.Collections.Frozen;
using System.Net;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Xds;

/// <summary>
/// One consistent picture of what istiod sent and the agent accepted: services by host:port with their instances
/// (subset names as tags) and every cluster's endpoints by cluster name (what routes' weighted clusters name).
/// Immutable; the xDS client replaces it as a whole after an accepted response, so routing never sees half of one.
/// </summary>
public sealed class XdsRegistryView
{
    public static readonly XdsRegistryView Empty = new(FrozenDictionary<string, XdsService>.Empty, FrozenDictionary<string, IReadOnlyList<XdsEndpoint>>.Empty, XdsEgress.None);

    private readonly FrozenDictionary<string, FrozenDictionary<IPEndPoint, XdsEndpoint>> _members;

    private XdsRegistryView(FrozenDictionary<string, XdsService> services, FrozenDictionary<string, IReadOnlyList<XdsEndpoint>> clusters, XdsEgress egress)
    {
        Services = services;
        Clusters = clusters;
        Egress = egress;
        _members = clusters.ToFrozenDictionary(c => c.Key,
            c => c.Value.GroupBy(e => new IPEndPoint(IpAddresses.Normalize(e.Address.Address), e.Address.Port)).ToFrozenDictionary(g => g.Key, g => g.First()),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// True when <paramref name="endpoint"/> is one of cluster <paramref name="clusterName"/>'s endpoints (a subset's
    /// members). False for a cluster that is unknown or not warm: a subset without endpoints has no member.
    /// </summary>
    public bool Holds(string clusterName, IPEndPoint endpoint) => Endpoint(clusterName, endpoint) is not null;

    /// <summary>Cluster <paramref name="clusterName"/>'s endpoint at <paramref name="endpoint"/> (its weight and priority), or null.</summary>
    public XdsEndpoint? Endpoint(string clusterName, IPEndPoint endpoint) =>
        _members.TryGetValue(clusterName, out var members)
        && members.TryGetValue(new IPEndPoint(IpAddresses.Normalize(endpoint.Address), endpoint.Port), out var found) ? found : null;

    /// <summary>host:port → the service (its default cluster's endpoints, tagged with the subsets each is in).</summary>
    public IReadOnlyDictionary<string, XdsService> Services { get; }

    /// <summary>Cluster name → its endpoints (a cluster whose endpoints have not arrived yet is absent: not warm).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<XdsEndpoint>> Clusters { get; }

    /// <summary>Istio's outbound traffic policy (PassthroughCluster / BlackHoleCluster) over the accepted endpoints.</summary>
    public XdsEgress Egress { get; }

    public bool IsEmpty => Services.Count == 0;

    /// <summary>
    /// Joins accepted clusters with accepted endpoint assignments (by the cluster's EDS name); the outbound policy from
    /// <paramref name="catchAlls"/> (listeners' and route configurations' catch-alls) and the special clusters.
    /// </summary>
    public static XdsRegistryView Build(IEnumerable<XdsCluster> clusters, IReadOnlyDictionary<string, IReadOnlyList<XdsEndpoint>> assignments,
        IEnumerable<XdsEgressSignal>? catchAlls = null, Func<string, IReadOnlyList<IPAddress>?>? resolved = null)
    {
        var byCluster = new Dictionary<string, IReadOnlyList<XdsEndpoint>>(StringComparer.Ordinal);
        var warm = new List<XdsCluster>();
        var signals = new List<XdsEgressSignal>(catchAlls ?? []);
        foreach (var cluster in clusters)
        {
            if (cluster.Egress is { } mode)
            {
                signals.Add(new XdsEgressSignal(mode, $"cluster {cluster.Name}", Explicit: false));
                continue;
            }
            var endpoints = cluster.Dns is { } dns ? dns.Endpoints(resolved ?? (_ => null))
                : cluster.StaticEndpoints ?? assignments.GetValueOrDefault(cluster.EndpointsName);
            if (endpoints is null) continue; // warming: its endpoints (or its hosts' answers) have not arrived
            byCluster[cluster.Name] = endpoints;
            warm.Add(cluster);
        }

        var services = new Dictionary<string, XdsService>(StringComparer.Ordinal);
        foreach (var group in warm.GroupBy(c => (c.Service!.Host, c.Service.Port)))
        {
            // Every endpoint of the service's clusters, tagged with the subsets whose clusters hold it.
            var tags = new Dictionary<System.Net.IPEndPoint, (int Weight, SortedSet<string> Subsets)>();
            foreach (var cluster in group.OrderBy(c => c.Service!.Subset.Length == 0 ? 0 : 1))
                foreach (var endpoint in byCluster[cluster.Name])
                {
                    if (!tags.TryGetValue(endpoint.Address, out var entry)) tags[endpoint.Address] = entry = (endpoint.Weight, new SortedSet<string>(StringComparer.Ordinal));
                    if (cluster.Service!.Subset.Length > 0) entry.Subsets.Add(cluster.Service.Subset);
                }
            var instances = tags.OrderBy(t => t.Key.ToString(), StringComparer.Ordinal)
                .Select(t => new XdsServiceInstance(t.Key, t.Value.Weight, [.. t.Value.Subsets])).ToList();
            var service = new XdsService(group.Key.Host, group.Key.Port, instances);
            services[service.Key] = service;
        }
        var egress = XdsEgress.From(signals, byCluster.Values.SelectMany(e => e).Select(e => e.Address));
        return new XdsRegistryView(services.ToFrozenDictionary(StringComparer.Ordinal), byCluster.ToFrozenDictionary(StringComparer.Ordinal), egress);
    }
}
