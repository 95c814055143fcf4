using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>
/// `ax get services`: SERVICE and INSTANCES in a8ctl service-list's compact form — instances grouped by their tag
/// set, each group `tag,tag(count)`, groups separated by ", " (`helloworld   v1,kubernetes(2), v2,kubernetes(2)`).
/// Wide adds the endpoints.
/// </summary>
internal static class ServiceListTable
{
    public static readonly ResourceTable<ServiceDetail> Definition = new(
        [
            new("SERVICE", s => s.ServiceName),
            new("INSTANCES", s => Instances(s.Instances)),
        ],
        [new("ENDPOINTS", s => string.Join(",", s.Instances.Select(i => $"{i.Endpoint.Type}://{i.Endpoint.Value}")))]);

    public static string Instances(IReadOnlyList<ServiceInstanceRecord> instances) =>
        string.Join(", ", instances
            .GroupBy(i => string.Join(",", i.Tags))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}({g.Count()})"));

    /// <summary>The registry's flat instance list grouped per service, in name order.</summary>
    public static List<ServiceDetail> Group(IReadOnlyList<ServiceInstanceRecord> instances) =>
        instances.GroupBy(i => i.ServiceName).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ServiceDetail(g.Key, g.ToList())).ToList();
}
