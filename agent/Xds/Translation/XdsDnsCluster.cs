using System.Net;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// The endpoints of a STRICT_DNS / LOGICAL_DNS cluster whose endpoints name hosts: the hosts to resolve (each with its
/// port, weight and priority) and the endpoints given as addresses. STRICT_DNS uses every address a name resolves to,
/// LOGICAL_DNS only the first (<see cref="FirstAddressOnly"/>), as Envoy does.
/// </summary>
public sealed record XdsDnsCluster(IReadOnlyList<XdsDnsTarget> Targets, IReadOnlyList<XdsEndpoint> Fixed, bool FirstAddressOnly, TimeSpan Refresh, bool RespectTtl)
{
    public IEnumerable<XdsDnsName> Names => Targets.Select(t => new XdsDnsName(t.Host, Refresh, RespectTtl));

    /// <summary>The endpoints as resolved now; null while a name has no answer yet (the cluster is not warm).</summary>
    public IReadOnlyList<XdsEndpoint>? Endpoints(Func<string, IReadOnlyList<IPAddress>?> resolved)
    {
        var endpoints = new List<XdsEndpoint>(Fixed);
        foreach (var target in Targets)
        {
            if (resolved(target.Host) is not { } addresses) return null;
            foreach (var address in FirstAddressOnly ? addresses.Take(1) : addresses)
                endpoints.Add(new XdsEndpoint(new IPEndPoint(address, target.Port), target.Weight, target.Priority));
        }
        return endpoints;
    }
}
