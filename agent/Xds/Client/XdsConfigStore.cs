using AppSwitch.Agent.Xds.Translation;
using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;

namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// The accepted (last good) xDS configuration, per type, and what was refused. A response is taken resource by
/// resource: a resource that cannot be translated is refused (its previous accepted version, if any, stays in force)
/// and the rest applies. Not thread-safe: the ADS stream's one reader owns it.
/// </summary>
public sealed class XdsConfigStore
{
    private Dictionary<string, XdsCluster> _clusters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<XdsEndpoint>> _endpoints = new(StringComparer.Ordinal);
    private Dictionary<string, XdsListener> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RouteConfiguration> _routes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<XdsRefusal>> _refused = new(StringComparer.Ordinal);

    /// <summary>The EDS names the accepted clusters need (what the client subscribes to).</summary>
    public IReadOnlyList<string> EndpointNames => _clusters.Values.Where(c => c.FromEds).Select(c => c.EndpointsName).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The RDS names the accepted listeners need.</summary>
    public IReadOnlyList<string> RouteNames => _listeners.Values.SelectMany(l => l.RouteConfigs).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The hostnames the accepted DNS clusters need resolved (ServiceEntries with `resolution: DNS`).</summary>
    public IEnumerable<XdsDnsName> DnsNames => _clusters.Values.Where(c => c.Dns is not null).SelectMany(c => c.Dns!.Names);

    public IReadOnlyDictionary<string, RouteConfiguration> Routes => _routes;

    public int ClusterCount => _clusters.Count;
    public int EndpointCount => _endpoints.Count;
    public int ListenerCount => _listeners.Count;

    /// <summary>Resources refused in the latest response of each type.</summary>
    public IReadOnlyList<XdsRefusal> Refused => _refused.Values.SelectMany(r => r).ToList();

    /// <summary>
    /// The accepted view, with the outbound policy every accepted listener and route configuration says and the DNS
    /// clusters' hosts as <paramref name="resolved"/> answers them now (a host without an answer: its cluster is not warm).
    /// </summary>
    public XdsRegistryView View(Func<string, IReadOnlyList<System.Net.IPAddress>?>? resolved = null) => XdsRegistryView.Build(_clusters.Values, _endpoints,
        _listeners.Values.Select(l => l.Egress).Concat(_routes.Values.Select(RouteTranslator.Egress)).OfType<XdsEgressSignal>(), resolved);

    /// <summary>Takes one response; returns what it refused (empty: ACK; otherwise NACK with these reasons).</summary>
    public IReadOnlyList<XdsRefusal> Apply(DiscoveryResponse response)
    {
        var refused = new List<XdsRefusal>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var accepted = new List<(string Name, object Value)>();
        foreach (var any in response.Resources)
        {
            var (name, value, reason) = Translate(response.TypeUrl, any);
            if (name is not null && !seen.Add(name)) reason = "the response names it twice";
            if (reason is not null) refused.Add(new XdsRefusal(response.TypeUrl, name ?? "(unnamed)", reason));
            else accepted.Add((name!, value!));
        }
        var refusedNames = refused.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        switch (response.TypeUrl)
        {
            case XdsTypeUrls.Cluster:
                _clusters = Merge(_clusters, accepted, refusedNames, wildcard: true);
                foreach (var stale in _endpoints.Keys.Except(EndpointNames).ToList()) _endpoints.Remove(stale);
                break;
            case XdsTypeUrls.Endpoint:
                foreach (var (name, value) in accepted) _endpoints[name] = (IReadOnlyList<XdsEndpoint>)value;
                break;
            case XdsTypeUrls.Listener:
                _listeners = Merge(_listeners, accepted, refusedNames, wildcard: true);
                foreach (var stale in _routes.Keys.Except(RouteNames).ToList()) _routes.Remove(stale);
                break;
            case XdsTypeUrls.Route:
                foreach (var (name, value) in accepted) _routes[name] = (RouteConfiguration)value;
                break;
        }
        _refused[response.TypeUrl] = refused;
        return refused;
    }

    // A wildcard type's response is the whole set: what it does not name is gone, except a refused name keeps its last good version.
    private static Dictionary<string, T> Merge<T>(Dictionary<string, T> previous, List<(string Name, object Value)> accepted, HashSet<string> refused, bool wildcard)
    {
        var next = new Dictionary<string, T>(StringComparer.Ordinal);
        if (!wildcard) foreach (var (name, value) in previous) next[name] = value;
        foreach (var name in refused)
            if (previous.TryGetValue(name, out var kept)) next[name] = kept;
        foreach (var (name, value) in accepted) next[name] = (T)value;
        return next;
    }

    private static (string? Name, object? Value, string? Reason) Translate(string typeUrl, Any any)
    {
        if (any.TypeUrl != typeUrl) return (null, null, $"a {any.TypeUrl} in a {XdsTypeUrls.Short(typeUrl)} response");
        try
        {
            switch (typeUrl)
            {
                case XdsTypeUrls.Cluster:
                    var cluster = any.Unpack<EnvoyCluster>();
                    return (cluster.Name, ClusterTranslator.Translate(cluster, out var clusterReason), clusterReason);
                case XdsTypeUrls.Endpoint:
                    var assignment = any.Unpack<ClusterLoadAssignment>();
                    return (assignment.ClusterName, EndpointTranslator.Translate(assignment, out var endpointReason), endpointReason);
                case XdsTypeUrls.Listener:
                    var listener = any.Unpack<Listener>();
                    return (listener.Name, ListenerTranslator.Translate(listener, out var listenerReason), listenerReason);
                case XdsTypeUrls.Route:
                    var routes = any.Unpack<RouteConfiguration>();
                    return (routes.Name, routes, RouteTranslator.Check(routes));
                default:
                    return (null, null, $"type {typeUrl} was not asked for");
            }
        }
        // Google.Protobuf throws InvalidOperationException ("SkipLastField cannot be called at the end of a stream")
        // when a wrapper (UInt32Value...) claims more bytes than its enclosing message has left (found by the xds fuzz
        // target): refused like any unparsable resource, not a lost stream.
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException
                                  || e is InvalidOperationException && e.Source == "Google.Protobuf")
        {
            return (null, null, $"cannot be parsed: {e.Message}");
        }
    }
}
