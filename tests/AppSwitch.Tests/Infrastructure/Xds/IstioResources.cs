using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Tests.Infrastructure.Xds;

/// <summary>
/// Envoy v3 resources shaped as istiod's proxyless (GENERATOR=grpc) generator writes them for a VirtualService and
/// DestinationRule: EDS clusters `outbound|PORT|SUBSET|HOST` over ADS, assignments per cluster, `host:port`
/// api_listeners whose HCM takes RDS `outbound|PORT||HOST`, routes with Istio's default retry policy and the fault
/// filter's config per route.
/// </summary>
public static class IstioResources
{
    public const string Domain = "default.svc.cluster.local";

    public static string Host(string service) => $"{service}.{Domain}";

    public static string ClusterName(string service, int port, string subset = "") => $"outbound|{port}|{subset}|{Host(service)}";

    public static Cluster EdsCluster(string service, int port, string subset = "")
    {
        var name = ClusterName(service, port, subset);
        var cluster = new Cluster
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Cluster.Types.EdsClusterConfig
            {
                ServiceName = name,
                EdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
            },
            ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
            Metadata = new Metadata(),
        };
        var istio = new Struct();
        istio.Fields["subset"] = Value.ForString(subset);
        istio.Fields["config"] = Value.ForString($"/apis/networking.istio.io/v1/namespaces/default/destination-rule/{service}");
        cluster.Metadata.FilterMetadata["istio"] = istio;
        return cluster;
    }

    /// <summary>
    /// A ServiceEntry host's cluster as istiod writes it: `resolution: STATIC` → an EDS cluster like a service's
    /// (`outbound|443||api.example.com`), `resolution: DNS` → STRICT_DNS with its endpoints inline (hostnames, or the
    /// endpoint addresses given), DNS_ROUND_ROBIN → LOGICAL_DNS.
    /// </summary>
    public static Cluster ServiceEntryCluster(string host, int port, Cluster.Types.DiscoveryType type, params string[] endpointAddresses)
    {
        var name = $"outbound|{port}||{host}";
        if (type == Cluster.Types.DiscoveryType.Eds)
        {
            var eds = EdsCluster("unused", port);
            eds.Name = name;
            eds.EdsClusterConfig.ServiceName = name;
            eds.Metadata.FilterMetadata["istio"].Fields["config"] = Value.ForString("/apis/networking.istio.io/v1/namespaces/default/service-entry/external");
            return eds;
        }
        var locality = new LocalityLbEndpoints { Locality = new Locality() };
        foreach (var address in endpointAddresses)
            locality.LbEndpoints.Add(new LbEndpoint
            {
                Endpoint = new Endpoint { Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = address, PortValue = (uint)port } } },
                LoadBalancingWeight = 1,
            });
        var assignment = new ClusterLoadAssignment { ClusterName = name };
        assignment.Endpoints.Add(locality);
        return new Cluster
        {
            Name = name,
            Type = type,
            LoadAssignment = assignment,
            ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            LbPolicy = Cluster.Types.LbPolicy.LeastRequest,
        };
    }

    /// <summary>istiod's `PassthroughCluster`: ORIGINAL_DST, CLUSTER_PROVIDED (the app's own destination).</summary>
    public static Cluster PassthroughCluster() => new()
    {
        Name = "PassthroughCluster",
        Type = Cluster.Types.DiscoveryType.OriginalDst,
        LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
        ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
    };

    /// <summary>istiod's `BlackHoleCluster`: STATIC with no endpoints.</summary>
    public static Cluster BlackHoleCluster() => new()
    {
        Name = "BlackHoleCluster",
        Type = Cluster.Types.DiscoveryType.Static,
        ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
    };

    /// <summary>A response of <paramref name="typeUrl"/> carrying <paramref name="resources"/>, as the client's store takes it.</summary>
    public static Envoy.Service.Discovery.V3.DiscoveryResponse Response(string typeUrl, params Google.Protobuf.IMessage[] resources)
    {
        var response = new Envoy.Service.Discovery.V3.DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = "2026-12-02T10:00:00Z/7", Nonce = "n1" };
        response.Resources.AddRange(resources.Select(Any.Pack));
        return response;
    }

    public static ClusterLoadAssignment Assignment(string clusterName, params IPEndPoint[] endpoints)
    {
        var locality = new LocalityLbEndpoints { Locality = new Locality { Region = "test" }, LoadBalancingWeight = (uint)endpoints.Length };
        foreach (var endpoint in endpoints)
            locality.LbEndpoints.Add(new LbEndpoint
            {
                Endpoint = new Endpoint { Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = endpoint.Address.ToString(), PortValue = (uint)endpoint.Port } } },
                HealthStatus = HealthStatus.Healthy,
                LoadBalancingWeight = 1,
            });
        var assignment = new ClusterLoadAssignment { ClusterName = clusterName };
        assignment.Endpoints.Add(locality);
        return assignment;
    }

    public static string RouteConfigName(string service, int port) => ClusterName(service, port);

    public static Listener ApiListener(string service, int port)
    {
        var manager = new HttpConnectionManager
        {
            Rds = new Rds
            {
                RouteConfigName = RouteConfigName(service, port),
                ConfigSource = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
            },
        };
        manager.HttpFilters.Add(new HttpFilter { Name = "envoy.filters.http.fault", TypedConfig = Any.Pack(new HTTPFault()) });
        manager.HttpFilters.Add(new HttpFilter { Name = "envoy.filters.http.router" });
        return new Listener { Name = $"{Host(service)}:{port}", ApiListener = new ApiListener { ApiListener_ = Any.Pack(manager) } };
    }

    public static RouteConfiguration RouteConfig(string service, int port, params EnvoyRoute[] routes)
    {
        var host = new VirtualHost { Name = $"{Host(service)}:{port}" };
        host.Domains.Add(Host(service));
        host.Domains.Add($"{Host(service)}:{port}");
        host.Routes.AddRange(routes);
        var config = new RouteConfiguration { Name = RouteConfigName(service, port) };
        config.VirtualHosts.Add(host);
        return config;
    }

    /// <summary>A VirtualService http route with weighted destinations (subset, weight).</summary>
    public static EnvoyRoute Weighted(string service, int port, params (string Subset, uint Weight)[] split)
    {
        var weighted = new WeightedCluster();
        foreach (var (subset, weight) in split)
            weighted.Clusters.Add(new WeightedCluster.Types.ClusterWeight { Name = ClusterName(service, port, subset), Weight = weight });
        return Route("default", new RouteAction { WeightedClusters = weighted });
    }

    /// <summary>A route to one subset.</summary>
    public static EnvoyRoute ToSubset(string name, string service, int port, string subset) =>
        Route(name, new RouteAction { Cluster = ClusterName(service, port, subset) });

    /// <summary>The route with Istio's defaults: prefix "/", timeout 0 (off) and the default retry policy.</summary>
    public static EnvoyRoute Route(string name, RouteAction action)
    {
        action.Timeout ??= Duration.FromTimeSpan(TimeSpan.Zero);
        action.RetryPolicy ??= new RetryPolicy
        {
            RetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
            NumRetries = 2,
        };
        return new EnvoyRoute { Name = name, Match = new RouteMatch { Prefix = "/" }, Route_ = action };
    }
}
