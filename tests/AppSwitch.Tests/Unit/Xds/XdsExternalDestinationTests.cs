using System.Net;
using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Agent.Xds.Translation;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;
using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>
/// Issue 17 point 2's external destinations: ServiceEntry clusters (STATIC → EDS, DNS → STRICT_DNS/LOGICAL_DNS) and
/// istiod's PassthroughCluster / BlackHoleCluster → the outbound policy the agent applies (<see cref="XdsEgress"/>).
/// </summary>
public sealed class XdsExternalDestinationTests
{
    private const string Api = "api.example.com";
    private static readonly IPEndPoint ApiAddress = IPEndPoint.Parse("198.51.100.7:443");
    private static readonly IPEndPoint Elsewhere = IPEndPoint.Parse("203.0.113.9:443");

    [Fact]
    public void The_specials_say_the_outbound_policy()
    {
        Assert.Equal(XdsEgressMode.AllowAny, Translate(PassthroughCluster()).Egress);
        Assert.Equal(XdsEgressMode.RegistryOnly, Translate(BlackHoleCluster()).Egress);
        Assert.Null(Translate(PassthroughCluster()).Service); // no service: nothing to route to by name
    }

    [Theory]
    [InlineData("PassthroughCluster", DiscoveryType.Static, false, "PassthroughCluster must be ORIGINAL_DST, not Static")]
    [InlineData("BlackHoleCluster", DiscoveryType.Static, true, "BlackHoleCluster must have no endpoints")]
    [InlineData("BlackHoleCluster", DiscoveryType.OriginalDst, false, "BlackHoleCluster must be STATIC, not OriginalDst")]
    [InlineData("InboundPassthroughCluster", DiscoveryType.OriginalDst, false, "InboundPassthroughCluster is the server side's: not used by a client")]
    public void A_special_of_another_shape_is_refused_with_its_reason(string name, DiscoveryType type, bool withEndpoint, string reason)
    {
        var cluster = new EnvoyCluster { Name = name, Type = type, LbPolicy = EnvoyCluster.Types.LbPolicy.ClusterProvided };
        if (withEndpoint) cluster.LoadAssignment = Assignment(name, ApiAddress);
        Assert.Null(ClusterTranslator.Translate(cluster, out var why));
        Assert.Equal(reason, why);
    }

    [Fact]
    public void A_static_service_entry_is_an_eds_cluster_whose_endpoints_join_the_registry()
    {
        var store = new XdsConfigStore();
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Cluster, ServiceEntryCluster(Api, 443, DiscoveryType.Eds), BlackHoleCluster())));
        Assert.Equal(new[] { $"outbound|443||{Api}" }, store.EndpointNames);
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Endpoint, Assignment($"outbound|443||{Api}", ApiAddress))));
        var view = store.View();
        Assert.Equal(new[] { ApiAddress }, view.Services[$"{Api}:443"].Instances.Select(i => i.Endpoint));
        Assert.Equal(XdsEgressMode.RegistryOnly, view.Egress.Mode);
        Assert.True(view.Egress.Allows(ApiAddress.Address, 443));
        Assert.False(view.Egress.Allows(ApiAddress.Address, 80)); // the entry's port only
        Assert.False(view.Egress.Allows(Elsewhere.Address, 443));
    }

    [Theory]
    [InlineData(DiscoveryType.StrictDns)]
    [InlineData(DiscoveryType.LogicalDns)]
    public void A_dns_service_entry_with_endpoint_addresses_is_taken_as_they_are(DiscoveryType type)
    {
        var cluster = Translate(ServiceEntryCluster(Api, 443, type, "198.51.100.7", "198.51.100.8"));
        Assert.Equal(new[] { ApiAddress, IPEndPoint.Parse("198.51.100.8:443") }, cluster.StaticEndpoints!.Select(e => e.Address));
        Assert.Equal(new IstioClusterName("outbound", 443, "", Api), cluster.Service);
    }

    [Fact]
    public void A_dns_service_entry_without_endpoints_or_with_what_is_no_name_is_refused()
    {
        Assert.Null(ClusterTranslator.Translate(ServiceEntryCluster(Api, 443, DiscoveryType.LogicalDns), out var reason));
        Assert.Equal("LogicalDns cluster without endpoints", reason);
        Assert.Null(ClusterTranslator.Translate(ServiceEntryCluster("bad", 443, DiscoveryType.StrictDns, "bad!.example.com"), out reason));
        Assert.Equal("StrictDns endpoint \"bad!.example.com\" is neither an IP address nor a DNS name", reason);
    }

    [Fact]
    public void Registry_only_holds_every_accepted_clusters_endpoints_and_nothing_refused()
    {
        var store = new XdsConfigStore();
        var refused = store.Apply(Response(XdsTypeUrls.Cluster, BlackHoleCluster(),
            ServiceEntryCluster(Api, 443, DiscoveryType.StrictDns, "198.51.100.7"),
            ServiceEntryCluster("bad.example.com", 443, DiscoveryType.StrictDns, "bad!.example.com"),
            EdsCluster("reviews", 9080)));
        Assert.Equal(new[] { "outbound|443||bad.example.com" }, refused.Select(r => r.Name));
        store.Apply(Response(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", 9080), IPEndPoint.Parse("10.1.0.5:9080"))));
        var egress = store.View().Egress;
        Assert.True(egress.Allows(ApiAddress.Address, 443));
        Assert.True(egress.Allows(IPAddress.Parse("10.1.0.5"), 9080)); // a mesh service's endpoint is in the registry too
        Assert.True(egress.Allows(IPAddress.Parse("::ffff:198.51.100.7"), 443)); // v4-mapped is the same address
        Assert.False(egress.Allows(IPAddress.Parse("198.51.100.9"), 443));
        Assert.Equal("REGISTRY_ONLY (2 endpoints; from cluster BlackHoleCluster)", egress.ToString());
    }

    [Theory]
    [InlineData(true, true, "ALLOW_ANY (from PassthroughCluster and BlackHoleCluster with no catch-all saying which: Istio's default)")]
    [InlineData(true, false, "ALLOW_ANY (from cluster PassthroughCluster)")]
    [InlineData(false, false, "none")]
    public void Passthrough_or_no_special_refuses_nothing(bool passthrough, bool blackHole, string shown)
    {
        var clusters = new List<EnvoyCluster> { ServiceEntryCluster(Api, 443, DiscoveryType.StrictDns, "198.51.100.7") };
        if (passthrough) clusters.Add(PassthroughCluster());
        if (blackHole) clusters.Add(BlackHoleCluster());
        var store = new XdsConfigStore();
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Cluster, [.. clusters])));
        var egress = store.View().Egress;
        Assert.True(egress.Allows(Elsewhere.Address, Elsewhere.Port));
        Assert.Equal(shown, egress.ToString());
    }

    [Fact]
    public void Black_hole_gone_in_the_next_response_opens_again()
    {
        var store = new XdsConfigStore();
        store.Apply(Response(XdsTypeUrls.Cluster, BlackHoleCluster()));
        Assert.False(store.View().Egress.Allows(Elsewhere.Address, Elsewhere.Port));
        store.Apply(Response(XdsTypeUrls.Cluster, PassthroughCluster()));
        Assert.True(store.View().Egress.Allows(Elsewhere.Address, Elsewhere.Port));
    }

    private static XdsCluster Translate(EnvoyCluster cluster)
    {
        var translated = ClusterTranslator.Translate(cluster, out var reason);
        Assert.Null(reason);
        return translated!;
    }
}
