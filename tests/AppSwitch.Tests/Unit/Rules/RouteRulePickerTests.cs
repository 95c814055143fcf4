using System.Net;
using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;
using Xunit;

namespace AppSwitch.Tests.Unit.Rules;

/// <summary>How a route rule chooses among a service's instances: source matching, tags, weights, missing backends.</summary>
public sealed class RouteRulePickerTests
{
    private readonly ServiceTable _table = new(new NodeIdentity("n1", "appswitch", IPAddress.Parse("10.77.0.11")));
    private readonly RuleBook _rules = new("n1", _ => { });
    private readonly RoutingSnapshotSource _snapshots;
    private int _inode;

    public RouteRulePickerTests() => _snapshots = new RoutingSnapshotSource(_table, _rules, new KubernetesRegistry());

    private void Instance(string ip, string name, params (string Key, string Value)[] labels)
    {
        var app = new AppEntry { Id = $"a{++_inode:x7}", Name = name, VirtualIp = IPAddress.Parse(ip), Labels = labels.ToDictionary(l => l.Key, l => l.Value) };
        _table.AddApp(app);
        _table.AddServer(new ServerEntry
        {
            App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(app.VirtualIp, 80),
            Node = new IPEndPoint(IPAddress.Parse("10.77.0.11"), 40000 + _inode), Inode = (ulong)_inode,
        });
    }

    private void Rules(string yaml)
    {
        var rules = RuleReader.Read(yaml, out var problems);
        Assert.Empty(problems);
        _rules.Create(rules, out _, out _);
    }

    private Dictionary<string, int> Draw(AppEntry client, int n, out Rule? applied)
    {
        var counts = new Dictionary<string, int>();
        applied = null;
        for (var i = 0; i < n; i++)
        {
            var picked = RouteRulePicker.Pick(_snapshots.Current, client, "web", 80, Transport.Tcp, _ => true, out applied);
            var key = picked?.Virtual.Address.ToString() ?? "none";
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    private static readonly AppEntry Anonymous = new() { Id = "c0000001" };

    [Fact]
    public void Without_rules_nothing_is_applied()
    {
        Instance("198.18.1.1", "web", ("version", "v1"));
        Assert.Equal(new Dictionary<string, int> { ["none"] = 1 }, Draw(Anonymous, 1, out var applied));
        Assert.Null(applied);
    }

    [Fact]
    public void A_backend_without_instances_gives_its_share_to_the_others_and_all_missing_refuses()
    {
        Instance("198.18.1.1", "web", ("version", "v1"));
        Instance("198.18.1.2", "web", ("version", "v1"));
        Rules("- {id: r, destination: web, route: {backends: [{tags: [version=v3], weight: 0.9}, {tags: [version=v1]}]}}");
        var counts = Draw(Anonymous, 400, out var applied);
        Assert.Equal("r", applied!.Id);
        Assert.Equal(400, counts.GetValueOrDefault("198.18.1.1") + counts.GetValueOrDefault("198.18.1.2"));
        Assert.True(counts.GetValueOrDefault("198.18.1.1") > 100 && counts.GetValueOrDefault("198.18.1.2") > 100, string.Join(",", counts));

        _rules.Update([applied with { Route = new RuleRoute { Backends = [new RuleBackend { Tags = ["version=v3"] }] } }], out _);
        Assert.Equal(new Dictionary<string, int> { ["none"] = 5 }, Draw(Anonymous, 5, out applied));
        Assert.NotNull(applied);
    }

    [Fact]
    public void Source_tags_and_names_select_the_rule_and_tags_without_a_value_match_empty_labels()
    {
        Instance("198.18.1.1", "web", ("version", "v1"), ("kubernetes", ""));
        Instance("198.18.1.2", "web", ("version", "v2"));
        Rules("""
            - {id: base, destination: web, route: {backends: [{tags: [kubernetes]}]}}
            - {id: beta, priority: 5, destination: web, match: {source: {tags: [tier=beta]}}, route: {backends: [{tags: [version=v2]}]}}
            - {id: named, priority: 9, destination: web, match: {source: {name: admin, tags: [tier=beta]}}, route: {backends: [{tags: [version=v1]}]}}
            """);
        Assert.Equal(new Dictionary<string, int> { ["198.18.1.1"] = 20 }, Draw(Anonymous, 20, out var applied));
        Assert.Equal("base", applied!.Id);
        var beta = new AppEntry { Id = "c0000002", Labels = new Dictionary<string, string> { ["tier"] = "beta" } };
        Assert.Equal(new Dictionary<string, int> { ["198.18.1.2"] = 20 }, Draw(beta, 20, out applied));
        Assert.Equal("beta", applied!.Id);
        var admin = new AppEntry { Id = "c0000003", Name = "admin", Labels = new Dictionary<string, string> { ["tier"] = "beta" } };
        Assert.Equal(new Dictionary<string, int> { ["198.18.1.1"] = 20 }, Draw(admin, 20, out applied));
        Assert.Equal("named", applied!.Id);
    }
}
