using System.Net;
using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Translation;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>
/// Issue 17: EDS endpoint load_balancing_weight and locality priority, honoured by the picker. Within a cluster the
/// lowest priority with a live instance serves (failover to 1 only when no endpoint of 0 is live) and endpoints are
/// drawn by weight. Expected shares come from the weights themselves (3:1 → 75 %), with a 5-sigma tolerance.
/// </summary>
public sealed class XdsEndpointBalanceTests
{
    private const int Port = 9080;
    private const int Draws = 4000;
    private static readonly NodeIdentity Identity = new("n1", "appswitch", IPAddress.Parse("10.77.0.1"));
    private static readonly IPEndPoint A = IPEndPoint.Parse("198.18.0.11:9080");
    private static readonly IPEndPoint B = IPEndPoint.Parse("198.18.0.12:9080");
    private static readonly IPEndPoint C = IPEndPoint.Parse("198.18.0.13:9080");

    private readonly List<AppEntry> _apps = [];
    private readonly List<ServerEntry> _servers = [];

    public XdsEndpointBalanceTests()
    {
        foreach (var (server, i) in new[] { A, B, C }.Select((s, i) => (s, i)))
        {
            var app = new AppEntry { Id = $"app{i}", Name = "reviews", VirtualIp = server.Address, Labels = new Dictionary<string, string>() };
            _apps.Add(app);
            _servers.Add(new ServerEntry { App = app, Transport = Transport.Tcp, Virtual = server, Node = new IPEndPoint(Identity.Address, 41000 + i), Inode = (ulong)i + 1 });
        }
    }

    private RoutingSnapshot Snapshot(string subset, params XdsEndpoint[] endpoints)
    {
        var cluster = ClusterTranslator.Translate(EdsCluster("reviews", Port, subset), out _)!;
        var view = XdsRegistryView.Build([cluster], new Dictionary<string, IReadOnlyList<XdsEndpoint>> { [cluster.Name] = endpoints });
        var rules = RouteTranslator.Translate(RouteConfig("reviews", Port, ToSubset("to", "reviews", Port, subset)), out var reason);
        Assert.Null(reason);
        var index = RuleIndex.Empty.WithFallback(rules!.Select(r => new OwnedRule(RoutingSnapshotSource.XdsRuleOwner, r)).ToList());
        return RoutingSnapshot.Build(1, new TableImage(Identity, _apps.ToList(), _servers.ToList(), [], []), index,
            KubernetesRegistryView.Empty, EgressPolicy.AllowAll, view);
    }

    /// <summary>How often each server was picked over <see cref="Draws"/> picks, with only <paramref name="live"/> reachable.</summary>
    private static Dictionary<IPEndPoint, int> Picks(RoutingSnapshot snapshot, params IPEndPoint[] live)
    {
        var rule = snapshot.Rules.RoutesFor("reviews")[0];
        return Enumerable.Range(0, Draws)
            .Select(_ => RouteRulePicker.PickInstance(snapshot, rule, "reviews", Port, Transport.Tcp, s => live.Contains(s.Virtual))!.Virtual)
            .GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());
    }

    private static void AssertShare(double expected, int count)
    {
        var sigma = Math.Sqrt(Draws * expected * (1 - expected));
        Assert.InRange(count, Draws * expected - 5 * sigma, Draws * expected + 5 * sigma);
    }

    [Fact]
    public void Endpoints_of_the_preferred_priority_are_drawn_by_their_weights()
    {
        var snapshot = Snapshot("v1", new XdsEndpoint(A, 3), new XdsEndpoint(B, 1), new XdsEndpoint(C, 1, Priority: 1));
        var picks = Picks(snapshot, A, B, C);
        Assert.False(picks.ContainsKey(C)); // priority 1 while priority 0 is live
        Assert.Equal(Draws, picks[A] + picks[B]);
        AssertShare(0.75, picks[A]);
    }

    [Fact]
    public void Priority_one_serves_only_while_no_endpoint_of_priority_zero_is_live()
    {
        var snapshot = Snapshot("v1", new XdsEndpoint(A, 1), new XdsEndpoint(B, 1, Priority: 1), new XdsEndpoint(C, 3, Priority: 1));
        Assert.Equal([A], Picks(snapshot, A, B, C).Keys);
        var failover = Picks(snapshot, B, C); // A's node is gone
        Assert.Equal(2, failover.Count);
        AssertShare(0.75, failover[C]);
    }

    [Fact]
    public void An_instance_istiod_does_not_list_counts_as_priority_zero_weight_one()
    {
        var snapshot = Snapshot("", new XdsEndpoint(A, 2)); // B and C are AppSwitch-only instances of the service
        var picks = Picks(snapshot, A, B, C);
        Assert.Equal(3, picks.Count);
        AssertShare(0.5, picks[A]);
    }

    [Fact]
    public void Eds_keeps_each_endpoints_weight_and_its_localitys_priority()
    {
        var assignment = Assignment("c", A, B);
        assignment.Endpoints[0].LbEndpoints[0].LoadBalancingWeight = 3;
        assignment.Endpoints[0].LoadBalancingWeight = 4;
        var failover = Assignment("c", C);
        failover.Endpoints[0].Priority = 1;
        assignment.Endpoints.Add(failover.Endpoints[0]);
        var endpoints = EndpointTranslator.Translate(assignment, out var reason);
        Assert.Null(reason);
        Assert.Equal([new XdsEndpoint(A, 3, 0), new XdsEndpoint(B, 1, 0), new XdsEndpoint(C, 1, 1)], endpoints);
    }

    [Fact]
    public void Locality_weights_out_of_proportion_to_their_endpoints_are_refused_with_the_reason()
    {
        var assignment = Assignment("c", A, B); // istiod's shape: locality weight 2 = its endpoints' weights
        assignment.Endpoints[0].Locality = new Locality { Region = "us", Zone = "us-a" };
        var other = Assignment("c", C).Endpoints[0];
        other.Locality = new Locality { Region = "us", Zone = "us-b" };
        assignment.Endpoints.Add(other);
        Assert.NotNull(EndpointTranslator.Translate(assignment, out _));

        assignment.Endpoints[0].LoadBalancingWeight = 80; // localityLbSetting.distribute: us-a 80 %, us-b 20 %
        other.LoadBalancingWeight = 20;
        Assert.Null(EndpointTranslator.Translate(assignment, out var reason));
        Assert.Equal("locality us/us-a has weight 80 for endpoint weights 2, locality us/us-b 20 for 1: " +
            "locality-weighted balancing (localityLbSetting distribute) is not supported", reason);
    }
}
