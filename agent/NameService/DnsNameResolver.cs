using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.NameService;

/// <summary>
/// Answers names of apps (`ax run --name`, on any node) and vservices: `name` and `name.&lt;domain&gt;`; and, with the
/// Kubernetes registry adapter, Services as `svc`, `svc.ns` and `svc.ns.svc.cluster.local` (also under the domain). A known name
/// has A records only (AAAA and other types: no error, no answers, so resolvers fall back to A). An unknown name
/// inside the domain is NXDOMAIN; everything else belongs to the forwarder.
/// </summary>
public sealed class DnsNameResolver(ServiceTable table, Kubernetes.KubernetesRegistry kubernetes, string domain)
{
    private readonly string _domain = domain.Trim('.').ToLowerInvariant();

    /// <param name="name">Lowercase, without the final dot.</param>
    public DnsDecision Decide(string name, ushort type)
    {
        var inDomain = name == _domain || name.EndsWith("." + _domain, StringComparison.Ordinal);
        var label = inDomain && name.Length > _domain.Length ? name[..(name.Length - _domain.Length - 1)] : name;
        var addresses = label.Length > 0 && !label.Contains('.') ? table.AddressesOfName(label) : [];
        // Kubernetes Services (registry adapter): `svc`, `svc.ns`, `svc.ns.svc.cluster.local` → their ClusterIPs.
        if (addresses.Count == 0) addresses = kubernetes.AddressesOfName(name);
        if (addresses.Count == 0 && inDomain) addresses = kubernetes.AddressesOfName(label);
        if (addresses.Count > 0)
            return new DnsDecision.Answer(DnsRcode.NoError, type is DnsType.A or DnsType.Any ? addresses : []);
        if (inDomain)
            return new DnsDecision.Answer(name == _domain ? DnsRcode.NoError : DnsRcode.NxDomain, []);
        return new DnsDecision.Forward();
    }
}
