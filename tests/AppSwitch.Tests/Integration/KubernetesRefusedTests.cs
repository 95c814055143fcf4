using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Kubernetes.HelloworldPods;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// README (Kubernetes): "The agent keeps retrying (capped exponential backoff with jitter, at most 30 s apart), serves
/// apps meanwhile, and picks up fixed RBAC or a new token by itself (no restart)." An agent whose API server refuses every list (403) still serves apps; once the RBAC is fixed
/// it mirrors the Services and RoutingRules without a restart.
/// </summary>
public sealed partial class KubernetesAdapterTests
{
    /// <summary>Every collection the adapters read; the test's "RBAC" forbids them all until it is fixed.</summary>
    private static readonly string[] AdapterCollections =
    [
        KubeObjects.Services, KubeObjects.Pods, KubeObjects.Endpoints, KubeObjects.EndpointSlices, KubeObjects.ReplicaSets,
        KubeObjects.RoutingRules, KubeObjects.Nodes, "/apis/apps/v1/deployments",
    ];

    /// <summary>The collections the agent must have asked (and been refused) before the test fixes the RBAC.</summary>
    private static readonly string[] AskedWhileRefused = [KubeObjects.Services, KubeObjects.EndpointSlices, KubeObjects.RoutingRules];

    /// <summary>The agent's backoff is capped at 30 s (InformerOptions.MaxBackoff): the pick-up bound is that plus slack.</summary>
    private static readonly TimeSpan PickUpBound = TimeSpan.FromSeconds(75);

    [Fact]
    public async Task While_the_API_server_refuses_the_agent_serves_apps_and_it_picks_up_services_and_rules_once_RBAC_is_fixed()
    {
        await using var node = await KubernetesTestbed.StartAsync(output, 1,
            api => { foreach (var collection in AdapterCollections) api.Forbid(collection); }, AdapterFlags);
        StartPodServers(node, Pods);
        PutHelloworld(node, Pods);
        node.Api.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw-v2", """
            {"destination": "helloworld", "route": {"backends": [{"tags": ["v2"]}]}}
            """));

        // Refused and retrying: each collection was asked again after its 403.
        await Eventually.UntilAsync(() => AskedWhileRefused.All(c => node.Api.Requests("list", c) >= 2), NodeShell.DefaultTimeout,
            "the agent to list every collection again after a 403",
            () => string.Join(", ", AskedWhileRefused.Select(c => $"{c}: {node.Api.Requests("list", c)}")) + "\n" + node.Agent.Output);

        // Meanwhile the agent runs and serves apps; it knows nothing from Kubernetes.
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "served"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        var served = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
        Assert.True(served.ExitCode == 0 && served.StdOut == "served\n200", served.Describe());
        Assert.DoesNotContain("helloworld", await ServicesAsync(node));
        Assert.False(node.Agent.HasExited, node.Agent.Output);

        // RBAC fixed: the same agent process mirrors helloworld and applies the rule (all connections to v2).
        foreach (var collection in AdapterCollections) node.Api.Allow(collection);
        var last = "";
        await Eventually.UntilAsync(async () => (last = await ServicesAsync(node)).Contains("v1,kubernetes(2), v2,kubernetes(2)"), PickUpBound,
            "helloworld in `ax get services` after the RBAC fix", () => last + node.Agent.Output);
        await Eventually.UntilAsync(async () => (await node.Shell.AxAsync("get", "rules")).StdOut.Contains("hw-v2"), PickUpBound,
            "RoutingRule hw-v2 in `ax get rules` after the RBAC fix", node.Agent.Output.ToString);
        await WaitForRuleStatusAsync(node, "hw-v2", "valid");
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 20 }, await CountAsync(node, [], 20, ClusterIp));
        Assert.False(node.Agent.HasExited, node.Agent.Output);
    }
}
