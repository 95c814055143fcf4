using System.Net;
using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Common.Rules;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>
/// Issue 17 point 2: a subset is the set of endpoints istiod put in the subset's cluster (Istio sends no subset labels),
/// so an xDS route picks, among the table's instances of the service, exactly those whose virtual or node ip:port is in
/// that cluster's ClusterLoadAssignment. Servers here carry no version label at all.
/// </summary>
public sealed class XdsSubsetRoutingTests
{
    private const int Port = 9080;
    private static readonly NodeIdentity Identity = new("n1", "appswitch", IPAddress.Parse("10.77.0.1"));
    private static readonly IPEndPoint V1 = IPEndPoint.Parse("198.18.0.11:9080");
    private static readonly IPEndPoint V2 = IPEndPoint.Parse("198.18.0.12:9080");
    private static readonly IPEndPoint V3Node = IPEndPoint.Parse("10.77.0.2:41003");

    private readonly List<AppEntry> _apps = [];
    private readonly List<ServerEntry> _servers = [];

    public XdsSubsetRoutingTests()
    {
        Server(V1, IPEndPoint.Parse("10.77.0.1:41001"));
        Server(V2, IPEndPoint.Parse("10.77.0.1:41002"));
        Server(IPEndPoint.Parse("198.18.0.13:9080"), V3Node); // known to istiod by its node (pod) address
    }

    private void Server(IPEndPoint virtualEndPoint, IPEndPoint node, Dictionary<string, string>? labels = null)
    {
        var app = new AppEntry { Id = $"app{_apps.Count}", Name = "reviews", VirtualIp = virtualEndPoint.Address, Labels = labels ?? new Dictionary<string, string>() };
        _apps.Add(app);
        _servers.Add(new ServerEntry { App = app, Transport = Transport.Tcp, Virtual = virtualEndPoint, Node = node, Inode = (ulong)_apps.Count });
    }

    private static XdsRegistryView View(params (string Subset, IPEndPoint[] Endpoints)[] subsets)
    {
        var clusters = subsets.Select(s => ClusterTranslator.Translate(EdsCluster("reviews", Port, s.Subset), out _)!).ToList();
        var assignments = subsets.ToDictionary(s => ClusterName("reviews", Port, s.Subset),
            s => (IReadOnlyList<XdsEndpoint>)s.Endpoints.Select(e => new XdsEndpoint(e, 1)).ToList());
        return XdsRegistryView.Build(clusters, assignments);
    }

    private RoutingSnapshot Snapshot(XdsRegistryView view, params Envoy.Config.Route.V3.Route[] routes)
    {
        var rules = RouteTranslator.Translate(RouteConfig("reviews", Port, routes), out var reason);
        Assert.Null(reason);
        var index = RuleIndex.Empty.WithFallback(rules!.Select(r => new OwnedRule(RoutingSnapshotSource.XdsRuleOwner, r)).ToList());
        return RoutingSnapshot.Build(1, new TableImage(Identity, _apps.ToList(), _servers.ToList(), [], []), index,
            KubernetesRegistryView.Empty, EgressPolicy.AllowAll, view);
    }

    /// <summary>The virtual endpoints picked over <paramref name="draws"/> picks (null: no instance).</summary>
    private static HashSet<IPEndPoint?> Picks(RoutingSnapshot snapshot, int draws = 200)
    {
        var rule = snapshot.Rules.RoutesFor("reviews")[0];
        return Enumerable.Range(0, draws).Select(_ => RouteRulePicker.PickInstance(snapshot, rule, "reviews", Port, Transport.Tcp, _ => true)?.Virtual).ToHashSet();
    }

    [Fact]
    public void A_subset_route_picks_exactly_the_instances_in_that_subsets_endpoints()
    {
        var view = View(("", [V1, V2, V3Node]), ("v1", [V1]), ("v2", [V2, V3Node]));
        Assert.Equal([V1], Picks(Snapshot(view, ToSubset("all-v1", "reviews", Port, "v1"))));
        Assert.Equal([V2, IPEndPoint.Parse("198.18.0.13:9080")], Picks(Snapshot(view, ToSubset("all-v2", "reviews", Port, "v2"))));
    }

    [Fact]
    public void The_default_cluster_picks_any_instance_of_the_service()
    {
        var view = View(("", [V1, V2]), ("v1", [V1]));
        Assert.Equal(3, Picks(Snapshot(view, ToSubset("default", "reviews", Port, ""))).Count);
    }

    [Fact]
    public void Weighted_subsets_resolve_to_their_endpoint_sets()
    {
        var snapshot = Snapshot(View(("v1", [V1]), ("v2", [V2])), Weighted("reviews", Port, ("v1", 50), ("v2", 50)));
        Assert.Equal([V1, V2], Picks(snapshot, 400));
    }

    [Fact]
    public void A_subset_whose_endpoints_are_not_in_the_table_or_not_warm_has_no_instance()
    {
        // istiod (or whoever speaks for it) aims v2 at an address no table instance has: nothing is picked, never that address.
        var attack = View(("v1", [V1]), ("v2", [IPEndPoint.Parse("10.77.0.1:6664")]));
        Assert.Equal([null], Picks(Snapshot(attack, ToSubset("all-v2", "reviews", Port, "v2"))));
        var cold = View(("v1", [V1])); // v2's assignment has not arrived
        Assert.Equal([null], Picks(Snapshot(cold, ToSubset("all-v2", "reviews", Port, "v2"))));
    }

    [Fact]
    public void A_label_named_like_the_subset_does_not_make_an_instance_a_member()
    {
        Server(IPEndPoint.Parse("198.18.0.14:9080"), IPEndPoint.Parse("10.77.0.1:41004"), new() { ["v2"] = "", ["version"] = "v2" });
        Assert.Equal([V2], Picks(Snapshot(View(("v2", [V2])), ToSubset("all-v2", "reviews", Port, "v2"))));
    }

    [Fact]
    public void The_subset_tag_names_the_cluster()
    {
        var tag = XdsSubsetTag.Of(ClusterName("reviews", Port, "v2"));
        Assert.True(XdsSubsetTag.TryCluster(tag, out var cluster));
        Assert.Equal(ClusterName("reviews", Port, "v2"), cluster);
        Assert.False(XdsSubsetTag.TryCluster("v2", out _));
    }
}
