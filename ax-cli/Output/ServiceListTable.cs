using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>
/// `ax get services`: SERVICE and INSTANCES in a8ctl service-list's compact form — instances grouped by their tag
/// set, each group `tag,tag(count)`, groups separated by ", " (`helloworld   v1,kubernetes(2), v2,kubernetes(2)`).
/// Wide adds the endpoints.
/// </summary>
internal static class ServiceListTable
{
    /// <summary>The node_id of instances the agent mirrors from Kubernetes (`--discovery-adapter kubernetes`).</summary>
    private const string KubernetesNodeId = "kubernetes";

    public static readonly ResourceTable<ServiceDetail> Definition = new(
        [
            new("SERVICE", s => s.ServiceName),
            new("INSTANCES", s => Instances(s.Instances)),
        ],
        [
            new("TAGS", s => Instances(s.Instances, compact: false)),
            new("ENDPOINTS", s => string.Join(",", s.Instances.Select(i => $"{i.Endpoint.Type}://{i.Endpoint.Value}"))),
        ]);

    /// <param name="compact">
    /// Group Kubernetes instances by their plain tags (no '=') when they have any: they carry every pod label as
    /// `k=v`, which would make each pod a group of its own (pod-template-hash). Apps' tags are the labels their
    /// user chose and stay whole. False: everything by all tags.
    /// </param>
    public static string Instances(IReadOnlyList<ServiceInstanceRecord> instances, bool compact = true) =>
        string.Join(", ", instances
            .GroupBy(i => string.Join(",", compact && i.NodeId == KubernetesNodeId ? CompactTags(i.Tags) : i.Tags))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}({g.Count()})"));

    private static IReadOnlyList<string> CompactTags(IReadOnlyList<string> tags) =>
        tags.Any(t => !t.Contains('=')) ? tags.Where(t => !t.Contains('=')).ToList() : tags;

    /// <summary>The registry's flat instance list grouped per service, in name order.</summary>
    public static List<ServiceDetail> Group(IReadOnlyList<ServiceInstanceRecord> instances) =>
        instances.GroupBy(i => i.ServiceName).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ServiceDetail(g.Key, g.ToList())).ToList();
}
