using System.Net;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Agent.Xds.Translation;
using Envoy.Config.Route.V3;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using static AppSwitch.Tests.Infrastructure.Xds.IstioSidecarResources;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>
/// Issue 17: REGISTRY_ONLY vs ALLOW_ANY the way istiod's sidecar output says it. Both special clusters are always
/// sent; the mode is in the virtualOutbound listener's catch-all chain and in each route configuration's catch-all
/// virtual host (allow_any / block_all). Resources here are shaped as istiod writes them (IstioSidecarResources).
/// </summary>
public sealed class XdsOutboundPolicyTests
{
    private const string Api = "api.example.com";
    private static readonly IPEndPoint ApiAddress = IPEndPoint.Parse("198.51.100.7:8080");
    private static readonly IPEndPoint Elsewhere = IPEndPoint.Parse("198.51.100.7:8081");

    /// <summary>Feeds the store what istiod's sidecar generator pushes for one ServiceEntry in the given mode.</summary>
    private static XdsConfigStore Sidecar(bool allowAny, bool withListener = true, bool withRoutes = true)
    {
        var store = new XdsConfigStore();
        var entry = ServiceEntryCluster(Api, 8080, DiscoveryType.Eds);
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Cluster, entry, PassthroughCluster(), BlackHoleCluster())));
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Endpoint, Assignment(entry.Name, ApiAddress))));
        var listeners = new List<Google.Protobuf.IMessage> { HttpListener(8080) };
        if (withListener) listeners.Add(VirtualOutbound(allowAny));
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Listener, [.. listeners])));
        if (withRoutes) Assert.Empty(store.Apply(Response(XdsTypeUrls.Route, RouteConfig(8080, allowAny, ServiceHost(Api, 8080)))));
        return store;
    }

    [Fact]
    public void Registry_only_from_istiods_sidecar_output_refuses_what_is_not_in_the_registry()
    {
        var store = Sidecar(allowAny: false);
        var egress = store.View().Egress;
        Assert.Equal("REGISTRY_ONLY", egress.ModeName);
        Assert.Equal("listener virtualOutbound: catch-all chain virtualOutbound-catchall-tcp → BlackHoleCluster", egress.Source);
        Assert.True(egress.Allows(ApiAddress.Address, ApiAddress.Port));
        Assert.False(egress.Allows(Elsewhere.Address, Elsewhere.Port));
    }

    [Fact]
    public void Allow_any_from_istiods_sidecar_output_refuses_nothing()
    {
        var egress = Sidecar(allowAny: true).View().Egress;
        Assert.Equal("ALLOW_ANY", egress.ModeName);
        Assert.Equal("listener virtualOutbound: catch-all chain virtualOutbound-catchall-tcp → PassthroughCluster", egress.Source);
        Assert.True(egress.Allows(Elsewhere.Address, Elsewhere.Port));
    }

    [Theory]
    [InlineData(false, "REGISTRY_ONLY", "route configuration 8080: virtual host block_all → 502")]
    [InlineData(true, "ALLOW_ANY", "route configuration 8080: virtual host allow_any → PassthroughCluster")]
    public void The_route_configurations_catch_all_says_the_mode_without_the_virtual_outbound_listener(bool allowAny, string mode, string source)
    {
        var egress = Sidecar(allowAny, withListener: false).View().Egress;
        Assert.Equal((mode, source), (egress.ModeName, egress.Source));
    }

    [Fact]
    public void The_sidecar_listener_subscribes_its_route_configuration_and_the_catch_all_host_makes_no_rule()
    {
        var store = Sidecar(allowAny: false);
        Assert.Equal(["8080"], store.RouteNames);
        var rules = RouteTranslator.Translate(store.Routes["8080"], out var reason);
        Assert.Null(reason);
        Assert.Equal(["api"], rules!.Select(r => r.Destination).ToList()); // the ServiceEntry's host only
    }

    [Fact]
    public void Both_specials_with_no_catch_all_are_istios_default_allow_any_and_say_so()
    {
        var egress = Sidecar(allowAny: false, withListener: false, withRoutes: false).View().Egress;
        Assert.Equal("ALLOW_ANY", egress.ModeName);
        Assert.Equal("PassthroughCluster and BlackHoleCluster with no catch-all saying which: Istio's default", egress.Source);
    }

    [Fact]
    public void When_catch_alls_disagree_mid_push_registry_only_wins()
    {
        // istiod pushes listeners before routes: a switch to ALLOW_ANY opens only once the routes agree.
        var store = Sidecar(allowAny: false);
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Listener, HttpListener(8080), VirtualOutbound(allowAny: true))));
        Assert.Equal("REGISTRY_ONLY", store.View().Egress.ModeName);
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Route, RouteConfig(8080, allowAny: true, ServiceHost(Api, 8080)))));
        Assert.Equal("ALLOW_ANY", store.View().Egress.ModeName);
    }

    [Fact]
    public void A_catch_all_host_of_another_shape_refuses_its_route_configuration()
    {
        var store = new XdsConfigStore();
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Listener, HttpListener(8080))));
        var config = RouteConfig(8080, allowAny: false);
        config.VirtualHosts[0].Routes[0].DirectResponse = null;
        config.VirtualHosts[0].Routes[0].Route_ = new RouteAction { Cluster = $"outbound|8080||{Api}" };
        var refused = Assert.Single(store.Apply(Response(XdsTypeUrls.Route, config)));
        Assert.Equal(("8080", "virtual host block_all: Istio's block_all virtual host must answer directly (502)"), (refused.Name, refused.Reason));
        Assert.Null(store.View().Egress.ModeName);
    }
}
