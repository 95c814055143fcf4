using System.Net;
using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Kubernetes.Adapter;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Agent.NameService;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>
/// The adapters' pieces on seed 002's helloworld: the registry view (ClusterIP → ready pods, DNS names, pod
/// identities), the ClusterIP pick under RoutingRules and pod identity, RoutingRule reading and the status patch.
/// </summary>
public sealed class KubernetesAdapterUnitTests
{
    private static readonly IPAddress ClusterIp = IPAddress.Parse(HelloworldCluster.ClusterIp);
    private static readonly string V1Pod = $"helloworld-v1-{HelloworldCluster.V1Hash}-abcde";

    private static KubernetesRegistryView Helloworld(params (string Collection, string Json)[] more) =>
        KubernetesRegistryView.From(KubeSnapshots.Of(HelloworldCluster.Objects().Concat(more)), new KubernetesServiceMapper());

    /// <summary>The sources routing reads: a table, its rule book and the Kubernetes registry (each its own, as in the agent).</summary>
    private sealed record Sources(ServiceTable Table, AppSwitch.Agent.Rules.RuleBook Rules, KubernetesRegistry Kubernetes)
    {
        public RoutingSnapshotSource Snapshots() => new(Table, Rules, Kubernetes);
    }

    private static Sources TableWith(KubernetesRegistryView view, params string[] ruleJson)
    {
        var table = new ServiceTable(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));
        var sources = new Sources(table, new AppSwitch.Agent.Rules.RuleBook("node-a", _ => { }), new KubernetesRegistry());
        sources.Kubernetes.Replace(view);
        var rules = ruleJson.Select(json => RuleReader.Read(json, out var problems) is [var rule] && problems.Count == 0
            ? rule : throw new ArgumentException(string.Join("; ", problems))).ToList();
        sources.Rules.ReplaceKubernetes(rules);
        return sources;
    }

    [Fact]
    public void The_view_maps_the_ClusterIP_port_to_the_ready_pods_and_knows_the_names_and_the_pods()
    {
        var view = Helloworld();
        var registry = new KubernetesRegistry();
        Assert.True(registry.IsEmpty);
        registry.Replace(view);

        var service = registry.FindVirtual(ClusterIp, 5000);
        Assert.NotNull(service);
        Assert.Equal(["10.1.0.11:5000", "10.1.0.12:5000", "10.1.0.21:5000", "10.1.0.22:5000"],
            service.Backends.Select(b => b.Endpoint.Value).Order());
        Assert.Null(registry.FindVirtual(ClusterIp, 5001));
        Assert.True(registry.IsClusterIp(ClusterIp));
        foreach (var name in new[] { "helloworld", "helloworld.default", "HelloWorld.Default.svc.cluster.local" })
            Assert.Equal([ClusterIp], registry.AddressesOfName(name));
        Assert.Empty(registry.AddressesOfName("helloworld.other"));

        var identity = registry.IdentityOf(V1Pod);
        Assert.NotNull(identity);
        Assert.Equal("helloworld", identity.Service);
        Assert.Equal("", identity.Labels["v1"]);
        Assert.Equal("", identity.Labels["kubernetes"]);
        Assert.Equal("v1", identity.Labels["version"]);
        Assert.Null(registry.IdentityOf("no-such-pod"));

        Assert.Equal(4, registry.Instances().Count);
        Assert.All(registry.Instances(), i => Assert.Equal(KubernetesRegistry.Owner, i.NodeId));
    }

    [Fact]
    public void A_ClusterIP_connect_follows_the_weights_the_source_rule_and_refuses_when_no_backend_is_ready()
    {
        var table = TableWith(Helloworld(),
            """{"id": "split", "destination": "helloworld", "priority": 1, "route": {"backends": [{"tags": ["v2"], "weight": 0.25}, {"tags": ["v1"]}]}}""",
            """{"id": "tester", "destination": "helloworld", "priority": 2, "match": {"source": {"name": "helloworld", "tags": ["v1"]}}, "route": {"backends": [{"tags": ["v2"]}]}}""");
        var snapshot = table.Snapshots().Current;
        var service = table.Kubernetes.FindVirtual(ClusterIp, 5000)!;

        var anonymous = new AppEntry { Id = "a1" };
        var picks = Enumerable.Range(0, 4000).Select(i => KubernetesTargetPicker.Pick(snapshot, anonymous, service, out _)!.Address.ToString()).ToList();
        var v2Share = picks.Count(ip => ip.StartsWith("10.1.0.2", StringComparison.Ordinal)) / 4000.0;
        Assert.InRange(v2Share, 0.22, 0.28);

        // An app running as a v1 pod of helloworld is the source the higher-priority rule names.
        var pod = new AppEntry { Id = "a2", KubernetesPod = V1Pod };
        Assert.All(Enumerable.Range(0, 50), i => Assert.StartsWith("10.1.0.2", KubernetesTargetPicker.Pick(snapshot, pod, service, out Rule? _)!.Address.ToString()));
        KubernetesTargetPicker.Pick(snapshot, pod, service, out var applied);
        Assert.Equal("tester", applied!.Id);

        // A rule whose backends have no ready instance refuses; so does a Service with no ready endpoint.
        var none = TableWith(Helloworld(), """{"id": "v3", "destination": "helloworld", "route": {"backends": [{"tags": ["v3"]}]}}""");
        Assert.Null(KubernetesTargetPicker.Pick(none.Snapshots().Current, anonymous, service, out _));
        var empty = service with { Backends = [] };
        Assert.Null(KubernetesTargetPicker.Pick(snapshot, anonymous, empty, out _));
    }

    [Fact]
    public void DNS_answers_the_Service_names_with_the_ClusterIP()
    {
        var table = TableWith(Helloworld());
        var resolver = new DnsNameResolver(table.Table, table.Kubernetes, "appswitch.local");
        foreach (var name in new[] { "helloworld", "helloworld.default", "helloworld.default.svc.cluster.local", "helloworld.default.appswitch.local" })
        {
            var answer = Assert.IsType<DnsDecision.Answer>(resolver.Decide(name, DnsType.A));
            Assert.Equal([ClusterIp], answer.Addresses);
        }
        Assert.IsType<DnsDecision.Forward>(resolver.Decide("reviews.default.svc.cluster.local", DnsType.A));
    }

    [Theory]
    [InlineData("""{"destination": "helloworld", "route": {"backends": [{"tags": ["v1"]}]}}""", null)]
    [InlineData("""{"destination": "helloworld", "route": {"backends": [{"tags": ["v2"], "weight": 1.5}]}}""",
        "spec.route.backends[0].weight: must be in (0, 1], not 1.5")]
    [InlineData("""{"destination": "helloworld", "rout": {}}""", "spec.rout: unknown field")]
    [InlineData("""[1, 2]""", "spec: must be an Amalgam8 rule object")]
    public void A_RoutingRule_spec_is_read_by_the_rule_reader_with_paths_under_spec(string spec, string? problem)
    {
        var item = KubeSnapshots.Parse<RoutingRule>(KubeObjects.RoutingRule("hw-rule", spec));
        var rule = RoutingRuleSync.Read(item, out var found);
        if (problem is null)
        {
            Assert.Null(found);
            Assert.Equal("hw-rule", rule!.Id); // no id in the spec: the object's name
        }
        else
        {
            Assert.Null(rule);
            Assert.StartsWith(problem, found);
        }
    }

    [Fact]
    public async Task The_status_patch_reaches_the_status_subresource_only()
    {
        await using var server = await FakeKubeApiServer.StartAsync();
        server.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw", """{"destination": "helloworld", "route": {"backends": [{"tags": ["v1"]}]}}"""));
        using var client = server.Connection().CreateClient();

        await RoutingRuleSync.PatchStatusAsync(client, "default", "hw", """{"status": {"state": "invalid", "message": "why"}}""", CancellationToken.None);

        var stored = server.Get(KubeObjects.RoutingRules, "default", "hw")!;
        Assert.Equal("invalid", (string?)stored["status"]!["state"]);
        Assert.Equal("why", (string?)stored["status"]!["message"]);
        Assert.Equal("helloworld", (string?)stored["spec"]!["destination"]);
        using var wrongToken = server.Connection(token: "revoked").CreateClient();
        var error = await Assert.ThrowsAsync<KubeApiException>(() =>
            RoutingRuleSync.PatchStatusAsync(wrongToken, "default", "hw", """{"status": {"state": "valid"}}""", CancellationToken.None));
        Assert.Equal(401, error.StatusCode);
    }

    [Fact]
    public void The_pod_an_app_runs_as_survives_an_agent_restart_in_state_json()
    {
        var dir = Directory.CreateTempSubdirectory("ax-k8s-");
        try
        {
            var table = new ServiceTable(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));
            table.AddApp(new AppEntry { Id = "a1", KubernetesPod = V1Pod, KubernetesPodUid = "5f2c1a6e-8b3d-4c7a-9e10-2b4d6f8a0c1e" });
            table.AddApp(new AppEntry { Id = "a2" });
            var file = new AppSwitch.Agent.State.StateFile(dir.FullName);
            file.Save(table, new AppSwitch.Agent.Rules.RuleBook("node-a", _ => { }));

            var apps = file.Load()!.Apps.Select(AppSwitch.Agent.State.StateFile.ToEntry).OrderBy(a => a.Id).ToList();
            Assert.Equal([V1Pod, null], apps.Select(a => a.KubernetesPod));
            Assert.Equal(["5f2c1a6e-8b3d-4c7a-9e10-2b4d6f8a0c1e", null], apps.Select(a => a.KubernetesPodUid)); // derived from its cgroup
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
