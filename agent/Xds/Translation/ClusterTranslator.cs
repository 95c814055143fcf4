using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// An Envoy Cluster → an <see cref="XdsCluster"/>, or the reason we cannot route by it. We pick endpoints at random
/// (weighted), which keeps ROUND_ROBIN, LEAST_REQUEST and RANDOM's distribution; hashing policies promise stickiness
/// we do not give, so they are refused rather than silently changed.
/// </summary>
public static class ClusterTranslator
{
    public static XdsCluster? Translate(EnvoyCluster cluster, out string? reason)
    {
        reason = null;
        if (string.IsNullOrEmpty(cluster.Name)) return Refuse("a cluster without a name", out reason);
        if (IstioSpecialCluster.TryTranslate(cluster, out var egress, out reason))
            return egress is { } mode ? new XdsCluster(cluster.Name, null, cluster.Name, [], mode) : null;
        if (!IstioClusterName.TryParse(cluster.Name, out var service))
            return Refuse("not an Istio service cluster (want outbound|PORT|SUBSET|HOST)", out reason);
        if (service.Direction != "outbound") return Refuse("inbound clusters are the server side's: not used by a client", out reason);
        if (cluster.ClusterDiscoveryTypeCase == EnvoyCluster.ClusterDiscoveryTypeOneofCase.ClusterType)
            return Refuse($"custom cluster type {cluster.ClusterType.Name} is not supported", out reason);
        if (cluster.LbPolicy is not (EnvoyCluster.Types.LbPolicy.RoundRobin or EnvoyCluster.Types.LbPolicy.LeastRequest or EnvoyCluster.Types.LbPolicy.Random))
            return Refuse($"load-balancing policy {cluster.LbPolicy} is not supported (ROUND_ROBIN, LEAST_REQUEST, RANDOM are)", out reason);

        switch (cluster.Type)
        {
            case EnvoyCluster.Types.DiscoveryType.Eds:
                if (cluster.EdsClusterConfig?.EdsConfig is { } source && source.ConfigSourceSpecifierCase != Envoy.Config.Core.V3.ConfigSource.ConfigSourceSpecifierOneofCase.Ads)
                    return Refuse("EDS from a source other than ADS is not supported", out reason);
                var edsName = cluster.EdsClusterConfig?.ServiceName is { Length: > 0 } serviceName ? serviceName : cluster.Name;
                return new XdsCluster(cluster.Name, service, edsName, null);
            case EnvoyCluster.Types.DiscoveryType.Static:
                var endpoints = cluster.LoadAssignment is null ? [] : EndpointTranslator.Translate(cluster.LoadAssignment, out reason);
                return endpoints is null ? null : new XdsCluster(cluster.Name, service, cluster.Name, endpoints);
            case EnvoyCluster.Types.DiscoveryType.StrictDns or EnvoyCluster.Types.DiscoveryType.LogicalDns:
                return ServiceEntryCluster.TranslateDns(cluster, service, out reason);
            default:
                return Refuse($"cluster type {cluster.Type} is not supported (EDS, STATIC and DNS with addresses are)", out reason);
        }
    }

    private static XdsCluster? Refuse(string why, out string reason)
    {
        reason = why;
        return null;
    }
}
