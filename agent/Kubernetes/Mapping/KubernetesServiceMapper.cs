using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>
/// Turns Services and their ready endpoints into service instances and virtual endpoints (the registry adapter's
/// pure half). Endpoints come from EndpointSlices; a Service with no slice at all falls back to its Endpoints
/// object. Tags: the version tag (<see cref="VersionTag"/>), `kubernetes`, then the pod's labels as `k=v`
/// (`k` when the value is empty), sorted by key.
/// </summary>
public sealed class KubernetesServiceMapper(string clusterDomain = "cluster.local")
{
    public const string KubernetesTag = "kubernetes";
    /// <summary>The EndpointSlice label that names its Service.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public IReadOnlyList<KubeServiceInstance> Instances(KubeClusterSnapshot snapshot)
    {
        var pods = snapshot.Pods.ToDictionary(p => (p.Metadata.NamespaceProperty ?? "", p.Metadata.Name));
        var replicaSets = snapshot.ReplicaSets.ToDictionary(r => (r.Metadata.NamespaceProperty ?? "", r.Metadata.Name));
        V1ReplicaSet? FindReplicaSet(string ns, string name) => replicaSets.GetValueOrDefault((ns, name));
        var slicesByService = snapshot.EndpointSlices
            .Where(s => s.Metadata.Labels?.ContainsKey(ServiceNameLabel) == true)
            .ToLookup(s => (s.Metadata.NamespaceProperty ?? "", s.Metadata.Labels![ServiceNameLabel]));
        var endpointsByService = snapshot.Endpoints.ToDictionary(e => (e.Metadata.NamespaceProperty ?? "", e.Metadata.Name));

        var instances = new List<KubeServiceInstance>();
        foreach (var service in snapshot.Services.OrderBy(s => s.Metadata.NamespaceProperty).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            var ns = service.Metadata.NamespaceProperty ?? "";
            var key = (ns, service.Metadata.Name);
            var ready = slicesByService.Contains(key)
                ? ReadyFromSlices(slicesByService[key])
                : endpointsByService.TryGetValue(key, out var endpoints) ? ReadyFromEndpoints(endpoints) : [];
            var seen = new HashSet<(string?, string)>();
            foreach (var endpoint in ready)
            {
                var value = HostPort(endpoint.Address, endpoint.Port.Port ?? 0);
                if (endpoint.Port.Port is null or 0 || !seen.Add((endpoint.Port.Name, value))) continue;
                var pod = endpoint.Target is { Kind: "Pod", Name: { } podName } target
                    ? pods.GetValueOrDefault((target.NamespaceProperty ?? ns, podName))
                    : null;
                instances.Add(new KubeServiceInstance(service.Metadata.Name, ns, endpoint.Port.Name,
                    new KubeInstanceEndpoint(EndpointType(endpoint.Port.Name, endpoint.Port.Protocol), value),
                    Tags(pod, FindReplicaSet)));
            }
        }
        return instances;
    }

    public IReadOnlyList<KubeVirtualEndpoint> VirtualEndpoints(KubeClusterSnapshot snapshot, IReadOnlyList<KubeServiceInstance> instances)
    {
        var byService = instances.ToLookup(i => (i.Namespace, i.Service, i.PortName ?? ""));
        var result = new List<KubeVirtualEndpoint>();
        foreach (var service in snapshot.Services)
        {
            var ns = service.Metadata.NamespaceProperty ?? "";
            var name = service.Metadata.Name;
            var clusterIps = service.Spec?.ClusterIPs is { Count: > 0 } ips ? ips : service.Spec?.ClusterIP is { } ip ? [ip] : [];
            foreach (var clusterIp in clusterIps.Where(ip => ip.Length > 0 && ip != "None"))
                foreach (var port in service.Spec?.Ports ?? [])
                {
                    result.Add(new KubeVirtualEndpoint(name, ns, clusterIp, port.Port, EndpointType(port.Name, port.Protocol),
                        DnsNames(name, ns), [.. byService[(ns, name, port.Name ?? "")]]));
                }
        }
        return result;
    }

    public IReadOnlyList<string> DnsNames(string service, string @namespace) =>
        [service, $"{service}.{@namespace}", $"{service}.{@namespace}.svc.{clusterDomain}"];

    /// <summary>The port's name when it is http or https (that enables content-aware routing), else its protocol.</summary>
    public static string EndpointType(string? portName, string? protocol) =>
        portName is "http" or "https" ? portName : (protocol ?? "TCP").ToLowerInvariant();

    public static IReadOnlyList<string> Tags(V1Pod? pod, Func<string, string, V1ReplicaSet?> findReplicaSet)
    {
        var tags = new List<string>();
        if (pod is not null && VersionTag.For(pod, findReplicaSet) is { } version) tags.Add(version);
        tags.Add(KubernetesTag);
        if (pod?.Metadata.Labels is { } labels)
            tags.AddRange(labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => string.IsNullOrEmpty(l.Value) ? l.Key : $"{l.Key}={l.Value}"));
        return tags;
    }

    private readonly record struct ReadyEndpoint(string Address, PortOf Port, V1ObjectReference? Target);

    /// <summary>A port of a slice (Discoveryv1EndpointPort) or of an Endpoints subset (Corev1EndpointPort): the same three fields.</summary>
    private readonly record struct PortOf(string? Name, string? Protocol, int? Port);

    private static IEnumerable<ReadyEndpoint> ReadyFromSlices(IEnumerable<V1EndpointSlice> slices) =>
        from slice in slices
        where slice.AddressType is null or "IPv4" or "IPv6"
        from endpoint in slice.Endpoints ?? []
        where endpoint.Conditions?.Ready != false
        from address in endpoint.Addresses ?? []
        from port in slice.Ports ?? []
        select new ReadyEndpoint(address, new PortOf(port.Name, port.Protocol, port.Port), endpoint.TargetRef);

    private static IEnumerable<ReadyEndpoint> ReadyFromEndpoints(V1Endpoints endpoints) =>
        from subset in endpoints.Subsets ?? []
        from address in subset.Addresses ?? []
        from port in subset.Ports ?? []
        select new ReadyEndpoint(address.Ip, new PortOf(port.Name, port.Protocol, port.Port), address.TargetRef);

    private static string HostPort(string address, int port) => address.Contains(':') ? $"[{address}]:{port}" : $"{address}:{port}";
}
