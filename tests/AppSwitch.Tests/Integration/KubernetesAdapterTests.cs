using System.Text.Json;
using System.Text.RegularExpressions;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.Kubernetes.HelloworldPods;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// The Kubernetes adapters end to end: the API server stand-in holds seed 002's helloworld (Service, Deployments,
/// ReplicaSets, pods, one EndpointSlice per pod); the "pods" are real servers in the node's namespace, each at the
/// node address on a port of its own (the slice says so), answering with its version. Apps under ax reach them
/// through the Service's ClusterIP (from 198.18.0.0/15) and its DNS names.
/// </summary>
public sealed partial class KubernetesAdapterTests(ITestOutputHelper output)
{

    [Fact]
    public async Task Helloworld_is_mirrored_scaled_and_deleted_and_its_ClusterIP_and_names_reach_the_pods()
    {
        await using var node = await KubernetesTestbed.StartAsync(output, AdapterFlags);
        StartPodServers(node, Pods);
        PutHelloworld(node, Pods);

        await WaitForServicesLineAsync(node, "helloworld", "v1,kubernetes(2), v2,kubernetes(2)");
        var wide = await node.Shell.AxAsync("get", "services", "-o", "wide");
        Assert.True(wide.ExitCode == 0, wide.Describe());
        Assert.Contains("app=helloworld,pod-template-hash=" + V1Hash + ",version=v1", wide.StdOut);
        Assert.Contains($"http://{node.Node.Address}:5011", wide.StdOut);

        // The ClusterIP spreads connections over the four ready pods; the DNS names lead there too.
        var counts = await CountAsync(node, [], 200, ClusterIp);
        Assert.Equal(200, counts.GetValueOrDefault("v1") + counts.GetValueOrDefault("v2"));
        Assert.InRange(counts.GetValueOrDefault("v2"), 60, 140);
        foreach (var name in new[] { "helloworld", "helloworld.default", "helloworld.default.svc.cluster.local" })
        {
            var byName = await CountAsync(node, [], 4, name);
            Assert.True(byName.Values.Sum() == 4 && !byName.ContainsKey("refused"), $"{name}: {JsonSerializer.Serialize(byName)}");
        }

        // Scaled: a third v2 pod becomes ready.
        PodServer extra = new($"helloworld-v2-{V2Hash}-uvwxy", "v2", 5023);
        StartPodServers(node, [extra]);
        PutPod(node, extra);
        await WaitForServicesLineAsync(node, "helloworld", "v1,kubernetes(2), v2,kubernetes(3)");
        // ... and scaled down to one v1 pod.
        node.Api.Delete(KubeObjects.EndpointSlices, "default", Slice(Pods[1]));
        node.Api.Delete(KubeObjects.Pods, "default", Pods[1].Name);
        await WaitForServicesLineAsync(node, "helloworld", "v1,kubernetes(1), v2,kubernetes(3)");

        // No ready pod left: the service leaves the view and its ClusterIP refuses; then the Service itself goes.
        foreach (var pod in new[] { Pods[0], Pods[2], Pods[3], extra })
            node.Api.Delete(KubeObjects.EndpointSlices, "default", Slice(pod));
        await Eventually.UntilAsync(async () => !(await ServicesAsync(node)).Contains("helloworld"), NodeShell.DefaultTimeout,
            "helloworld gone from `ax get services`", node.Agent.Output.ToString);
        Assert.Equal(new Dictionary<string, int> { ["refused"] = 3 }, await CountAsync(node, [], 3, ClusterIp));
        node.Api.Delete(KubeObjects.Services, "default", "helloworld");
        // No longer the agent's name: answered as a name it never had (forwarded: SERVFAIL from the test's dead
        // forwarder), not with the ClusterIP.
        var never = await DnsAnswerAsync(node, "neverwas.default");
        Assert.DoesNotContain(ClusterIp, never);
        var answer = "";
        await Eventually.UntilAsync(async () => (answer = await DnsAnswerAsync(node, "helloworld.default")) == never,
            NodeShell.DefaultTimeout, $"helloworld.default answered as an unknown name ({never})", () => answer + node.Agent.Output);
    }

    [Fact]
    public async Task A_25_75_RoutingRule_splits_ClusterIP_connections_an_invalid_one_says_why_and_a_pod_identity_picks_its_source_rule()
    {
        await using var node = await KubernetesTestbed.StartAsync(output, AdapterFlags);
        StartPodServers(node, Pods);
        PutHelloworld(node, Pods);
        await WaitForServicesLineAsync(node, "helloworld", "v1,kubernetes(2), v2,kubernetes(2)");

        node.Api.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw-split", """
            {"destination": "helloworld", "priority": 1,
             "route": {"backends": [{"tags": ["v2"], "weight": 0.25}, {"tags": ["v1"]}]}}
            """));
        node.Api.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw-bad", """
            {"destination": "helloworld", "route": {"backends": [{"tags": ["v2"], "weight": 1.5}]}}
            """));
        await WaitForRuleStatusAsync(node, "hw-split", "valid");
        var bad = await WaitForRuleStatusAsync(node, "hw-bad", "invalid");
        Assert.Equal("spec.route.backends[0].weight: must be in (0, 1], not 1.5", bad);
        var listed = await node.Shell.AxAsync("get", "rules");
        Assert.True(listed.ExitCode == 0 && listed.StdOut.Contains("hw-split") && !listed.StdOut.Contains("hw-bad"), listed.Describe());
        var refused = await node.Shell.AxAsync("delete", "rule", "hw-split");
        // In Kubernetes rules mode every rule write is refused (issue 14), before the rule's owner is even looked up.
        Assert.True(refused.ExitCode == 1 && refused.StdErr.Contains("create or change RoutingRule objects (routingrules.amalgam8.io) with kubectl"),
            refused.Describe());

        const int total = 2000;
        var split = await CountAsync(node, [], total, ClusterIp);
        Assert.Equal(total, split.GetValueOrDefault("v1") + split.GetValueOrDefault("v2"));
        var v2Share = 100.0 * split.GetValueOrDefault("v2") / total;
        output.WriteLine($"25/75 RoutingRule over {total} ClusterIP connections: v2 {v2Share:0.00}% ({JsonSerializer.Serialize(split)})");
        Assert.InRange(v2Share, 21.0, 29.0);

        // A pod of Service "tester" (selector app=tester) matches a higher-priority source rule: v2 only —
        // by flag, and by POD_NAME as the downward API sets it.
        node.Api.Put(KubeObjects.Services, KubeObjects.Service("tester", "198.18.20.2", ("http", "TCP", 8080)));
        node.Api.Put(KubeObjects.Pods, KubeObjects.Pod("tester-7d9f-xk2lp", "10.1.0.50", null, ("app", "tester")));
        node.Api.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw-tester", """
            {"destination": "helloworld", "priority": 2, "match": {"source": {"name": "tester", "tags": ["app=tester"]}},
             "route": {"backends": [{"tags": ["v2"]}]}}
            """));
        await WaitForRuleStatusAsync(node, "hw-tester", "valid");
        await Eventually.UntilAsync(async () => (await CountAsync(node, ["--kubernetes-pod-name", "tester-7d9f-xk2lp"], 1, ClusterIp)).ContainsKey("v2"),
            NodeShell.DefaultTimeout, "the tester pod's identity known to the agent", node.Agent.Output.ToString);
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 100 }, await CountAsync(node, ["--kubernetes-pod-name", "tester-7d9f-xk2lp"], 100, ClusterIp));
        var byEnv = await node.Shell.RunAsync(["env", "POD_NAME=tester-7d9f-xk2lp", .. NodeShell.AxRun([], CountingCommand(ClusterIp, 50))],
            TimeSpan.FromSeconds(120));
        Assert.True(byEnv.ExitCode == 0, byEnv.Describe());
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 50 }, JsonSerializer.Deserialize<Dictionary<string, int>>(byEnv.StdOut));

        // Deleting the objects removes the rules: the plain spread is back (v1 answers again to a source-less client).
        node.Api.Delete(KubeObjects.RoutingRules, "default", "hw-split");
        node.Api.Delete(KubeObjects.RoutingRules, "default", "hw-tester");
        await Eventually.UntilAsync(async () => !(await node.Shell.AxAsync("get", "rules")).StdOut.Contains("hw-"), NodeShell.DefaultTimeout,
            "the deleted RoutingRules gone from `ax get rules`", node.Agent.Output.ToString);
        var after = await CountAsync(node, ["--kubernetes-pod-name", "tester-7d9f-xk2lp"], 100, ClusterIp);
        Assert.True(after.GetValueOrDefault("v1") > 0, JsonSerializer.Serialize(after));
    }

    [Fact]
    public async Task Agents_without_neighbors_find_each_other_through_Node_objects_and_all_apply_the_same_RoutingRule()
    {
        await using var cluster = await KubernetesTestbed.StartAsync(output, 3, ["--gossip-auto-discover", "--rules-adapter", "kubernetes"]);
        foreach (var node in cluster.Network.Nodes) cluster.Api.Put(KubeObjects.Nodes, KubeObjects.Node(node.Name, node.Address));
        cluster.Api.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw-all", """
            {"destination": "helloworld", "route": {"backends": [{"tags": ["v1"]}]}}
            """));

        var names = cluster.Network.Nodes.Select(n => n.Name).Order().ToList();
        foreach (var agent in cluster.Agents)
        {
            var shell = new NodeShell(cluster.Network, agent);
            var seen = "";
            await Eventually.UntilAsync(async () =>
            {
                var listed = await shell.AxAsync("get", "nodes", "-o", "json");
                var nodes = listed.ExitCode == 0 ? AxList<NodeRecord>.Parse(listed.StdOut).Items : [];
                seen = string.Join(" ", nodes.OrderBy(n => n.Name).Select(n => $"{n.Name}={n.State}"));
                return names.All(name => nodes.Any(n => n.Name == name && n.State == "alive"));
            }, TimeSpan.FromSeconds(30), $"{agent.Node.Name} listing {string.Join(",", names)} alive", () => seen + "\n" + agent.Output);
            await Eventually.UntilAsync(async () => (await shell.AxAsync("get", "rules")).StdOut.Contains("hw-all"), NodeShell.DefaultTimeout,
                $"{agent.Node.Name} listing RoutingRule hw-all", () => agent.Output);
        }
    }

    /// <summary>The agent's DNS answer to an app (dns_query.py: "RCODE [addresses]").</summary>
    private static async Task<string> DnsAnswerAsync(KubernetesTestbed node, string name)
    {
        var result = await node.Shell.RunUnderAxAsync([], ["python3", Path.Combine(RepoLayout.HelpersDir, "dns_query.py"), name]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut.Trim();
    }

    private static async Task<string> ServicesAsync(KubernetesTestbed node)
    {
        var result = await node.Shell.AxAsync("get", "services");
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut;
    }

    private static async Task WaitForServicesLineAsync(KubernetesTestbed node, string service, string instances)
    {
        var expected = new Regex($"^{Regex.Escape(service)} +{Regex.Escape(instances)} *$", RegexOptions.Multiline);
        var last = "";
        await Eventually.UntilAsync(async () => expected.IsMatch(last = await ServicesAsync(node)), NodeShell.DefaultTimeout,
            $"`ax get services` showing {service}   {instances}", () => last + node.Agent.Output);
    }
}
