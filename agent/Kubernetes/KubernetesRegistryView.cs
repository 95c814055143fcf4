using System.Net;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Kubernetes;

/// <summary>One consistent picture of the mirrored registry, computed from an informer snapshot.</summary>
public sealed class KubernetesRegistryView
{
    public static readonly KubernetesRegistryView Empty = new();

    public IReadOnlyDictionary<(IPAddress, int), KubeVirtualEndpoint> Virtuals { get; private init; } =
        new Dictionary<(IPAddress, int), KubeVirtualEndpoint>();
    public IReadOnlySet<IPAddress> ClusterIps { get; private init; } = new HashSet<IPAddress>();
    public IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> Names { get; private init; } = new Dictionary<string, IReadOnlyList<IPAddress>>();
    public IReadOnlyDictionary<string, KubePodIdentity> Pods { get; private init; } = new Dictionary<string, KubePodIdentity>();
    public IReadOnlyDictionary<string, KubePodIdentity> PodIdentitiesByUid { get; private init; } = new Dictionary<string, KubePodIdentity>();
    /// <summary>Every watched pod by UID: what a launcher's cgroup is matched against.</summary>
    public IReadOnlyDictionary<string, KubePodRef> PodsByUid { get; private init; } = new Dictionary<string, KubePodRef>();
    public IReadOnlyList<ServiceInstanceRecord> Instances { get; private init; } = [];
    public bool IsEmpty => Virtuals.Count == 0 && Instances.Count == 0 && Pods.Count == 0 && PodsByUid.Count == 0;

    public static KubernetesRegistryView From(KubeClusterSnapshot snapshot, KubernetesServiceMapper mapper)
    {
        var instances = mapper.Instances(snapshot);
        var virtuals = new Dictionary<(IPAddress, int), KubeVirtualEndpoint>();
        var names = new Dictionary<string, List<IPAddress>>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in mapper.VirtualEndpoints(snapshot, instances))
        {
            if (!IPAddress.TryParse(endpoint.ClusterIp, out var ip)) continue;
            virtuals[(ip, endpoint.Port)] = endpoint;
            foreach (var name in endpoint.DnsNames)
            {
                if (!names.TryGetValue(name, out var list)) names[name] = list = [];
                if (!list.Contains(ip)) list.Add(ip);
            }
        }
        var (byName, byUid) = PodIdentities(snapshot);
        return new KubernetesRegistryView
        {
            Virtuals = virtuals,
            ClusterIps = virtuals.Keys.Select(k => k.Item1).ToHashSet(),
            Names = names.ToDictionary(n => n.Key, n => (IReadOnlyList<IPAddress>)n.Value, StringComparer.OrdinalIgnoreCase),
            Pods = byName,
            PodIdentitiesByUid = byUid,
            PodsByUid = snapshot.Pods.Where(p => !string.IsNullOrEmpty(p.Metadata.Uid))
                .GroupBy(p => p.Metadata.Uid!).ToDictionary(g => g.Key, g => new KubePodRef(g.First().Metadata.NamespaceProperty ?? "", g.First().Metadata.Name)),
            Instances = instances.Select(Record).ToList(),
        };
    }

    private static ServiceInstanceRecord Record(KubeServiceInstance instance) => new()
    {
        Id = $"{instance.Namespace}/{instance.Service}/{instance.PortName ?? ""}/{instance.Endpoint.Value}",
        ServiceName = instance.Service,
        Endpoint = new ServiceEndpoint(instance.Endpoint.Type, instance.Endpoint.Value),
        Tags = [.. instance.Tags],
        NodeId = KubernetesRegistry.Owner,
    };

    /// <summary>
    /// Pod name (and UID) → the first Service (by namespace, name) whose selector its labels satisfy, and the pod's tags as an
    /// instance of it would have them (version, `kubernetes`, labels) in label form: `k=v` → k:v, `k` → k:"".
    /// </summary>
    private static (Dictionary<string, KubePodIdentity> ByName, Dictionary<string, KubePodIdentity> ByUid) PodIdentities(KubeClusterSnapshot snapshot)
    {
        var replicaSets = snapshot.ReplicaSets.ToDictionary(r => (r.Metadata.NamespaceProperty ?? "", r.Metadata.Name));
        var services = snapshot.Services.Where(s => s.Spec?.Selector is { Count: > 0 })
            .OrderBy(s => s.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal).ToList();
        var pods = new Dictionary<string, KubePodIdentity>(StringComparer.Ordinal);
        var byUid = new Dictionary<string, KubePodIdentity>(StringComparer.Ordinal);
        foreach (var pod in snapshot.Pods)
        {
            IReadOnlyDictionary<string, string> labels = pod.Metadata.Labels is { } podLabels ? podLabels.AsReadOnly() : new Dictionary<string, string>();
            var service = services.FirstOrDefault(s => s.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty &&
                                                       s.Spec.Selector!.All(kv => labels.GetValueOrDefault(kv.Key) == kv.Value));
            if (service is null) continue;
            var tags = KubernetesServiceMapper.Tags(pod, (ns, name) => replicaSets.GetValueOrDefault((ns, name)));
            var asLabels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                var equals = tag.IndexOf('=');
                asLabels.TryAdd(equals < 0 ? tag : tag[..equals], equals < 0 ? "" : tag[(equals + 1)..]);
            }
            var identity = new KubePodIdentity(service.Metadata.Name, asLabels);
            pods.TryAdd(pod.Metadata.Name, identity);
            if (!string.IsNullOrEmpty(pod.Metadata.Uid)) byUid.TryAdd(pod.Metadata.Uid, identity);
        }
        return (pods, byUid);
    }
}
