using System.Net;
using Envoy.Config.Endpoint.V3;
using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A ServiceEntry with `resolution: DNS` or `DNS_ROUND_ROBIN` arrives as a STRICT_DNS or LOGICAL_DNS cluster
/// (`outbound|443||api.example.com`) whose endpoints are what Envoy would resolve. Endpoints given as IP addresses
/// are taken as they are; hostnames are resolved by the agent (<see cref="Client.XdsHostResolver"/>, through its own
/// upstreams) and re-resolved at the cluster's dns_refresh_rate or the answer's TTL. Only A records are asked for:
/// a cluster that wants IPv6 answers only (dns_lookup_family V6_ONLY) is refused.
/// (`resolution: STATIC` and `NONE` with addresses arrive as EDS clusters: <see cref="ClusterTranslator"/>.)
/// </summary>
public static class ServiceEntryCluster
{
    /// <summary>Envoy's dns_refresh_rate when the cluster gives none.</summary>
    public static readonly TimeSpan DefaultRefresh = TimeSpan.FromSeconds(5);

    public static XdsCluster? TranslateDns(EnvoyCluster cluster, IstioClusterName service, out string? reason)
    {
        reason = null;
        if (cluster.LoadAssignment is not { } assignment || !assignment.Endpoints.Any(l => l.LbEndpoints.Count > 0))
            return Refuse($"{cluster.Type} cluster without endpoints", out reason);
        if (cluster.DnsLookupFamily == EnvoyCluster.Types.DnsLookupFamily.V6Only)
            return Refuse("dns_lookup_family V6_ONLY is not supported (the agent resolves A records)", out reason);

        // Addresses are endpoints as they are; the hostnames are split off to be resolved.
        var fixedPart = assignment.Clone();
        var targets = new List<XdsDnsTarget>();
        foreach (var locality in fixedPart.Endpoints)
            foreach (var lb in locality.LbEndpoints.ToList())
            {
                if (lb.Endpoint?.Address?.SocketAddress is not { } socket || IPAddress.TryParse(socket.Address, out _)) continue;
                if (lb.HealthStatus is not (HealthStatus.Healthy or HealthStatus.Unknown) || lb.LoadBalancingWeight == 0)
                {
                    locality.LbEndpoints.Remove(lb);
                    continue;
                }
                if (socket.PortSpecifierCase != Envoy.Config.Core.V3.SocketAddress.PortSpecifierOneofCase.PortValue || socket.PortValue is 0 or > 65535)
                    return Refuse($"endpoint {socket.Address}: a numeric port is needed", out reason);
                if (socket.Protocol != Envoy.Config.Core.V3.SocketAddress.Types.Protocol.Tcp)
                    return Refuse($"endpoint {socket.Address}:{socket.PortValue}: only TCP endpoints are supported", out reason);
                if (!IsHostname(socket.Address))
                    return Refuse($"{cluster.Type} endpoint \"{socket.Address}\" is neither an IP address nor a DNS name", out reason);
                targets.Add(new XdsDnsTarget(socket.Address.TrimEnd('.'), (int)socket.PortValue, (int)Math.Min(lb.LoadBalancingWeight ?? 1, int.MaxValue),
                    (int)Math.Min(locality.Priority, int.MaxValue)));
                locality.LbEndpoints.Remove(lb);
                locality.LoadBalancingWeight = null; // the locality's weight covered the hostnames too
            }
        var fixedEndpoints = EndpointTranslator.Translate(fixedPart, out reason);
        if (fixedEndpoints is null) return null;
        if (targets.Count == 0) return new XdsCluster(cluster.Name, service, cluster.Name, fixedEndpoints);
        var refresh = cluster.DnsRefreshRate is { } rate && rate.ToTimeSpan() > TimeSpan.Zero ? rate.ToTimeSpan() : DefaultRefresh;
        var dns = new XdsDnsCluster(targets, fixedEndpoints, cluster.Type == EnvoyCluster.Types.DiscoveryType.LogicalDns, refresh, cluster.RespectDnsTtl);
        return new XdsCluster(cluster.Name, service, cluster.Name, null, Dns: dns);
    }

    private static bool IsHostname(string name)
    {
        var labels = name.TrimEnd('.').Split('.');
        return name.Length is > 0 and <= 253 && labels.All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }

    private static XdsCluster? Refuse(string why, out string reason)
    {
        reason = why;
        return null;
    }
}
