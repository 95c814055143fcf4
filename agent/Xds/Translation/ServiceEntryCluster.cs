using System.Net;
using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A ServiceEntry with `resolution: DNS` or `DNS_ROUND_ROBIN` arrives as a STRICT_DNS or LOGICAL_DNS cluster
/// (`outbound|443||api.example.com`) whose endpoints are what Envoy would resolve. Endpoints given as IP addresses
/// are taken as they are (there is nothing to resolve). A hostname endpoint is refused: the agent resolves no names
/// on istiod's behalf, and an address it has not seen cannot be opened under REGISTRY_ONLY — a name whose answers
/// change would have to be re-resolved and re-applied, which is not built (NOTES "xdsext").
/// (`resolution: STATIC` and `NONE` with addresses arrive as EDS clusters: <see cref="ClusterTranslator"/>.)
/// </summary>
public static class ServiceEntryCluster
{
    public static XdsCluster? TranslateDns(EnvoyCluster cluster, IstioClusterName service, out string? reason)
    {
        reason = null;
        if (cluster.LoadAssignment is not { } assignment || !assignment.Endpoints.Any(l => l.LbEndpoints.Count > 0))
        {
            reason = $"{cluster.Type} cluster without endpoints";
            return null;
        }
        var hostname = assignment.Endpoints.SelectMany(l => l.LbEndpoints)
            .Select(e => e.Endpoint?.Address?.SocketAddress?.Address)
            .FirstOrDefault(a => a is { Length: > 0 } && !IPAddress.TryParse(a, out _));
        if (hostname is not null)
        {
            reason = $"{cluster.Type} endpoint \"{hostname}\" is a hostname: the agent does not resolve ServiceEntry hosts (give the ServiceEntry endpoint addresses)";
            return null;
        }
        var endpoints = EndpointTranslator.Translate(assignment, out reason);
        return endpoints is null ? null : new XdsCluster(cluster.Name, service, cluster.Name, endpoints);
    }
}
