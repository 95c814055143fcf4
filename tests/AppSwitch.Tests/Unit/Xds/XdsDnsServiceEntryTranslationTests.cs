using System.Net;
using AppSwitch.Agent.NameService;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Agent.Xds.Translation;
using Google.Protobuf.WellKnownTypes;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;
using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>
/// Issue 17: ServiceEntries with `resolution: DNS` naming a host (STRICT_DNS / LOGICAL_DNS with a hostname endpoint):
/// the names to resolve and how often, the cluster not warm until its names have answers, then the answers as its
/// endpoints (STRICT_DNS every address, LOGICAL_DNS the first) and in REGISTRY_ONLY's registry.
/// </summary>
public sealed class XdsDnsServiceEntryTranslationTests
{
    private const string Api = "api.example.com";
    private static readonly IPAddress First = IPAddress.Parse("198.51.100.7");
    private static readonly IPAddress Second = IPAddress.Parse("198.51.100.8");

    private static XdsConfigStore Store(EnvoyCluster entry)
    {
        var store = new XdsConfigStore();
        Assert.Empty(store.Apply(Response(XdsTypeUrls.Cluster, entry, BlackHoleCluster())));
        return store;
    }

    [Fact]
    public void A_hostname_is_resolved_at_the_clusters_refresh_rate_and_is_no_eds_subscription()
    {
        var entry = ServiceEntryCluster(Api, 443, DiscoveryType.StrictDns, Api);
        entry.DnsRefreshRate = Duration.FromTimeSpan(TimeSpan.FromSeconds(60));
        entry.RespectDnsTtl = true;
        var store = Store(entry);
        Assert.Empty(store.EndpointNames);
        Assert.Equal([new XdsDnsName(Api, TimeSpan.FromSeconds(60), RespectTtl: true)], store.DnsNames);
    }

    [Fact]
    public void Without_an_answer_the_cluster_is_not_warm_and_opens_nothing()
    {
        var view = Store(ServiceEntryCluster(Api, 443, DiscoveryType.StrictDns, Api)).View(_ => null);
        Assert.False(view.Clusters.ContainsKey($"outbound|443||{Api}"));
        Assert.False(view.Egress.Allows(First, 443));
    }

    [Fact]
    public void Strict_dns_takes_every_address_the_name_resolves_to()
    {
        var view = Store(ServiceEntryCluster(Api, 443, DiscoveryType.StrictDns, Api)).View(host => host == Api ? new[] { First, Second } : null);
        Assert.Equal([new XdsEndpoint(new IPEndPoint(First, 443), 1), new XdsEndpoint(new IPEndPoint(Second, 443), 1)], view.Clusters[$"outbound|443||{Api}"]);
        Assert.True(view.Egress.Allows(First, 443));
        Assert.True(view.Egress.Allows(Second, 443));
        Assert.False(view.Egress.Allows(First, 80));
    }

    [Fact]
    public void Logical_dns_takes_the_first_address_only()
    {
        var view = Store(ServiceEntryCluster(Api, 443, DiscoveryType.LogicalDns, Api)).View(_ => new[] { First, Second });
        Assert.Equal([new XdsEndpoint(new IPEndPoint(First, 443), 1)], view.Clusters[$"outbound|443||{Api}"]);
        Assert.False(view.Egress.Allows(Second, 443));
    }

    [Fact]
    public void A_cluster_that_wants_ipv6_answers_only_is_refused_with_the_reason()
    {
        var entry = ServiceEntryCluster(Api, 443, DiscoveryType.StrictDns, Api);
        entry.DnsLookupFamily = EnvoyCluster.Types.DnsLookupFamily.V6Only;
        Assert.Null(ClusterTranslator.Translate(entry, out var reason));
        Assert.Equal("dns_lookup_family V6_ONLY is not supported (the agent resolves A records)", reason);
    }

    [Fact]
    public void The_lookup_reads_the_a_records_and_ttls_of_a_real_answer()
    {
        var query = DnsAddressLookup.EncodeQuery(0x1234, Api);
        var decoded = DnsCodec.DecodeQuery(query);
        Assert.Equal((Api, (ushort)1, true), (decoded.Name, decoded.Type, decoded.RecursionDesired));
        var answer = DnsCodec.EncodeAnswer(decoded, DnsRcode.NoError, [First, Second], ttl: 42);
        var (rcode, addresses) = DnsAddressLookup.DecodeAnswer(answer, 0x1234);
        Assert.Equal(DnsRcode.NoError, rcode);
        Assert.Equal([(First, 42u), (Second, 42u)], addresses);
        Assert.Equal(DnsRcode.NxDomain, DnsAddressLookup.DecodeAnswer(DnsCodec.EncodeFailure(decoded, DnsRcode.NxDomain), 0x1234).Rcode);
        Assert.Throws<DnsDecodeException>(() => DnsAddressLookup.DecodeAnswer(answer, 0x4321));
    }
}
