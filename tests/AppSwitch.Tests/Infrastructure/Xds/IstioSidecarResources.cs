using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Tests.Infrastructure.Xds;

/// <summary>
/// The parts of istiod's *sidecar* output that say the outbound traffic policy (pilot/pkg/networking/core:
/// listener_builder.go buildVirtualOutboundListener, buildOutboundCatchAllNetworkFilterChains, httproute.go
/// buildCatchAllVirtualHost): the `virtualOutbound` listener on 15001 (use_original_dst) whose chains are
/// `virtualOutbound-blackhole` (destination port 15001 → BlackHoleCluster) and the catch-all
/// `virtualOutbound-catchall-tcp` (no match → PassthroughCluster for ALLOW_ANY, BlackHoleCluster for REGISTRY_ONLY);
/// a per-port HTTP listener `0.0.0.0_PORT` whose connection manager takes RDS `PORT`; and route configuration `PORT`
/// ending with the catch-all virtual host `allow_any` (→ PassthroughCluster) or `block_all` (direct 502).
/// istiod sends PassthroughCluster and BlackHoleCluster in both modes.
/// </summary>
public static class IstioSidecarResources
{
    public const int ProxyListenPort = 15001;

    public static Listener VirtualOutbound(bool allowAny)
    {
        var listener = new Listener
        {
            Name = "virtualOutbound",
            Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = ProxyListenPort } },
            UseOriginalDst = true,
        };
        listener.FilterChains.Add(new FilterChain
        {
            Name = "virtualOutbound-blackhole",
            FilterChainMatch = new FilterChainMatch { DestinationPort = ProxyListenPort },
            Filters = { TcpProxyTo("BlackHoleCluster") },
        });
        listener.FilterChains.Add(new FilterChain
        {
            Name = "virtualOutbound-catchall-tcp",
            Filters = { TcpProxyTo(allowAny ? "PassthroughCluster" : "BlackHoleCluster") },
        });
        return listener;
    }

    /// <summary>`0.0.0.0_PORT`: the outbound HTTP listener of a port, routes from RDS `PORT`.</summary>
    public static Listener HttpListener(int port)
    {
        var manager = new HttpConnectionManager
        {
            StatPrefix = $"outbound_0.0.0.0_{port}",
            Rds = new Rds { RouteConfigName = port.ToString(), ConfigSource = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 } },
        };
        manager.HttpFilters.Add(new HttpFilter { Name = "envoy.filters.http.router" });
        var chain = new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) } } };
        return new Listener
        {
            Name = $"0.0.0.0_{port}",
            Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = (uint)port } },
            FilterChains = { chain },
        };
    }

    /// <summary>Route configuration `PORT`: the given virtual hosts, then Istio's catch-all.</summary>
    public static RouteConfiguration RouteConfig(int port, bool allowAny, params VirtualHost[] hosts)
    {
        var config = new RouteConfiguration { Name = port.ToString(), ValidateClusters = false };
        config.VirtualHosts.AddRange(hosts);
        config.VirtualHosts.Add(CatchAllHost(allowAny));
        return config;
    }

    public static VirtualHost CatchAllHost(bool allowAny)
    {
        var name = allowAny ? "allow_any" : "block_all";
        var route = new EnvoyRoute { Name = name, Match = new RouteMatch { Prefix = "/" } };
        if (allowAny)
            route.Route_ = new RouteAction { Cluster = "PassthroughCluster", Timeout = Duration.FromTimeSpan(TimeSpan.Zero) };
        else route.DirectResponse = new DirectResponseAction { Status = 502 };
        return new VirtualHost { Name = name, Domains = { "*" }, Routes = { route } };
    }

    /// <summary>A service's virtual host in a sidecar route configuration (`HOST:PORT`, one route to its default cluster).</summary>
    public static VirtualHost ServiceHost(string host, int port)
    {
        var vhost = new VirtualHost { Name = $"{host}:{port}", Domains = { host, $"{host}:{port}" } };
        vhost.Routes.Add(IstioResources.Route("default", new RouteAction { Cluster = $"outbound|{port}||{host}" }));
        return vhost;
    }

    private static Filter TcpProxyTo(string cluster) => new()
    {
        Name = "envoy.filters.network.tcp_proxy",
        TypedConfig = Any.Pack(new TcpProxy { StatPrefix = cluster, Cluster = cluster }),
    };
}
