using System.Text.Json;
using System.Text.RegularExpressions;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.Kubernetes.HelloworldPods;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// What a user does with the real kubectl against the API server stand-in (its own TLS CA, verified; a bearer token),
/// while a real agent in a node namespace watches the same server and routes an app's connections to seed 002's
/// helloworld pods (real servers answering with their version) through the Service's ClusterIP.
/// </summary>
public sealed partial class KubectlTests(ITestOutputHelper output)
{
    private static readonly string CrdFile = Path.Combine(RepoLayout.RepoRoot, "deploy", "routingrules-crd.yaml");
    private static readonly string DaemonSetFile = Path.Combine(RepoLayout.RepoRoot, "kube-daemonset.yaml");

    [Fact]
    public async Task Kubectl_applies_the_CRD_and_a_RoutingRule_that_splits_traffic_shows_the_agents_status_and_its_delete_ends_the_split()
    {
        await using var node = await KubernetesTestbed.StartAsync(output, 1, api => api.OnlyServedResources = true, AdapterFlags);
        var kubectl = new Kubectl(node.Api, node.Network.Temp);
        StartPodServers(node, Pods);
        PutHelloworld(node, Pods);

        // The agent runs before the CRD exists (the DaemonSet first, then the CRD): its first list is refused (404, as
        // on a real server) and its rule watch must start once the CRD is there.
        await Eventually.UntilAsync(() => node.Api.Requests("get", "/apis/amalgam8.io/v1/namespaces/default/routingrules") > 0, NodeShell.DefaultTimeout,
            "the agent's RoutingRule list refused before the CRD exists", node.Agent.Output.ToString);
        await ExpectAsync(kubectl.RunAsync("apply", "-f", CrdFile), "customresourcedefinition.apiextensions.k8s.io/routingrules.amalgam8.io created");
        await ExpectAsync(kubectl.ApplyAsync(Rule("hw-split", "[{tags: [v2], weight: 0.25}, {tags: [v1]}]")), "routingrule.amalgam8.io/hw-split created");
        await WaitForStateAsync(kubectl, node, "hw-split", "valid");

        const int total = 2000;
        var split = await CountAsync(node, [], total, ClusterIp);
        var v2Share = 100.0 * split.GetValueOrDefault("v2") / total;
        output.WriteLine($"25/75 RoutingRule applied with kubectl, {total} ClusterIP connections: v2 {v2Share:0.00}% ({JsonSerializer.Serialize(split)})");
        Assert.Equal(total, split.GetValueOrDefault("v1") + split.GetValueOrDefault("v2"));
        Assert.InRange(v2Share, 21.0, 29.0);

        // A rule the CRD's schema allows but the agent refuses: kubectl stores it, the agent says why in its status.
        await ExpectAsync(kubectl.ApplyAsync(Rule("hw-bad", "[{tags: [v2], weight: 0.6}, {tags: [v1], weight: 0.6}]")), "routingrule.amalgam8.io/hw-bad created");
        await WaitForStateAsync(kubectl, node, "hw-bad", "invalid");
        var yaml = await ExpectAsync(kubectl.RunAsync("get", "routingrules", "-o", "yaml"), "kind: List");
        Assert.Matches(new Regex(@"^    message: '?spec\.route\.backends: the weights add up to 1\.2, over 1'?$", RegexOptions.Multiline), yaml);
        Assert.Matches(new Regex(@"^    state: invalid$", RegexOptions.Multiline), yaml);
        Assert.Matches(new Regex(@"^    state: valid$", RegexOptions.Multiline), yaml);
        var table = await ExpectAsync(kubectl.RunAsync("get", "routingrules"), "NAME");
        Assert.Matches(new Regex(@"^NAME +DESTINATION +PRIORITY +STATE +AGE *$", RegexOptions.Multiline), table);
        Assert.Matches(new Regex(@"^hw-bad +helloworld +0 +invalid +\d+[smhd] *$", RegexOptions.Multiline), table);
        Assert.Matches(new Regex(@"^hw-split +helloworld +1 +valid +\d+[smhd] *$", RegexOptions.Multiline), table);
        var wide = await ExpectAsync(kubectl.RunAsync("get", "routingrules", "-o", "wide"), "MESSAGE");
        Assert.Matches(new Regex(@"^hw-bad +helloworld +0 +invalid +\d+[smhd] +spec\.route\.backends: the weights add up to 1\.2, over 1 *$", RegexOptions.Multiline), wide);

        // One the schema refuses never reaches the agent: kubectl prints the server's reason and exits 1.
        var over = await kubectl.ApplyAsync(Rule("hw-over", "[{tags: [v2], weight: 1.5}]"));
        Assert.True(over.ExitCode == 1 && over.StdErr.Trim() == "The RoutingRule \"hw-over\" is invalid: spec.route.backends[0].weight: Invalid value: 1.5: " +
            "spec.route.backends[0].weight in body should be less than or equal to 1", over.Describe());
        Assert.Null(node.Api.Get(KubeObjects.RoutingRules, "default", "hw-over"));

        // Applied again with v2 only (a JSON merge patch of the stored object): every connection goes to v2.
        await ExpectAsync(kubectl.ApplyAsync(Rule("hw-split", "[{tags: [v2]}]")), "routingrule.amalgam8.io/hw-split configured");
        var onlyV2 = new Dictionary<string, int>();
        await Eventually.UntilAsync(async () => (onlyV2 = await CountAsync(node, [], 100, ClusterIp)).Keys.SequenceEqual(["v2"]), NodeShell.DefaultTimeout,
            "all 100 connections to v2 after the re-apply", () => JsonSerializer.Serialize(onlyV2) + node.Agent.Output);

        // Deleted: the split ends, v1 answers again.
        await ExpectAsync(kubectl.RunAsync("delete", "routingrule", "hw-split"), "routingrule.amalgam8.io \"hw-split\" deleted");
        var after = new Dictionary<string, int>();
        await Eventually.UntilAsync(async () => (after = await CountAsync(node, [], 100, ClusterIp)).GetValueOrDefault("v1") > 0, NodeShell.DefaultTimeout,
            "v1 answering again after kubectl delete", () => JsonSerializer.Serialize(after) + node.Agent.Output);
        Assert.Equal(100, after.GetValueOrDefault("v1") + after.GetValueOrDefault("v2"));
        var rest = await ExpectAsync(kubectl.RunAsync("get", "rr"), "hw-bad");
        Assert.DoesNotContain("hw-split", rest);
    }

    [Fact]
    public async Task Kubectl_create_dry_run_server_accepts_the_DaemonSet_manifest_stores_nothing_and_refuses_a_broken_one()
    {
        using var temp = new TempDirectory();
        await using var api = await FakeKubeApiServer.StartAsync();
        var kubectl = new Kubectl(api, temp);

        var created = await ExpectAsync(kubectl.RunAsync("create", "--dry-run=server", "-f", DaemonSetFile), "daemonset.apps/kube-appswitch created (server dry run)");
        Assert.Equal(
            [
                "serviceaccount/appswitch created (server dry run)",
                "clusterrole.rbac.authorization.k8s.io/appswitch created (server dry run)",
                "clusterrolebinding.rbac.authorization.k8s.io/appswitch created (server dry run)",
                "daemonset.apps/kube-appswitch created (server dry run)",
            ], created.Trim().Split('\n'));
        var listed = await kubectl.RunAsync("get", "daemonsets,serviceaccounts", "-n", "kube-system");
        Assert.True(listed.ExitCode == 0 && listed.StdOut == "" && listed.StdErr.Trim() == "No resources found in kube-system namespace.", listed.Describe());

        // The same manifest with the pod template's label changed: the selector no longer matches, the server says so.
        var manifest = await File.ReadAllTextAsync(DaemonSetFile);
        var broken = DaemonSetTemplateLabel().Replace(manifest, "${indent}name: kube-appswitch-typo", 1);
        Assert.NotEqual(manifest, broken);
        var refused = await kubectl.RunAsync("create", "--dry-run=server", "-f", temp.WriteFile("broken-daemonset.yaml", broken));
        Assert.True(refused.ExitCode == 1 && refused.StdErr.Contains("The DaemonSet \"kube-appswitch\" is invalid: spec.template.metadata.labels: " +
            "Invalid value: `selector` does not match template `labels`"), refused.Describe());
    }

    /// <summary>A RoutingRule manifest for helloworld with the given backends (YAML flow list).</summary>
    private static string Rule(string name, string backends) => $"""
        apiVersion: amalgam8.io/v1
        kind: RoutingRule
        metadata:
          name: {name}
        spec:
          destination: helloworld
          {(name == "hw-split" ? "priority: 1" : "")}
          route:
            backends: {backends}
        """;

    private static async Task<string> ExpectAsync(Task<CommandResult> run, string expected)
    {
        var result = await run;
        Assert.True(result.ExitCode == 0 && result.StdOut.Contains(expected), $"expected \"{expected}\": {result.Describe()}");
        return result.StdOut;
    }

    /// <summary>Waits until `kubectl get routingrule NAME` shows the state the agent wrote.</summary>
    private static async Task WaitForStateAsync(Kubectl kubectl, KubernetesTestbed node, string name, string state)
    {
        var last = "";
        await Eventually.UntilAsync(async () =>
            {
                var result = await kubectl.RunAsync("get", "routingrule", name, "-o", "jsonpath={.status.state}");
                last = result.Describe();
                return result.ExitCode == 0 && result.StdOut == state;
            }, NodeShell.DefaultTimeout, $"kubectl showing RoutingRule {name} {state}", () => last + node.Agent.Output);
    }

    /// <summary>The pod template's label that the DaemonSet's selector (`name: kube-appswitch`) picks.</summary>
    [GeneratedRegex(@"(?<=template:\n(?:.*\n)*?)(?<indent> +)name: kube-appswitch")]
    private static partial Regex DaemonSetTemplateLabel();
}
