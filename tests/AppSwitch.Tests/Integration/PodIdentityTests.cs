using System.Text.Json;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.Kubernetes.HelloworldPods;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Kubernetes mode derives an app's pod from the launcher's cgroup: the launchers here run in real cgroup v2
/// directories laid out as the kubelet's (`&lt;root&gt;/kubepods/burstable/pod&lt;uid&gt;/c1`), the stand-in API server
/// lists the pods with those UIDs. Route rules show whose source tags an app carries: helloworld answers v1 to
/// everyone and v2 to Service tester's pods. An app in the intruder pod claiming to be the tester pod is the attack.
/// </summary>
[Collection(HostGlobalCollection.Name)]
public sealed class PodIdentityTests(ITestOutputHelper output)
{
    private const string TesterPod = "tester-7d9f-xk2lp";
    private const string IntruderPod = "intruder-5c8b-q2w7e";
    private static readonly PodServer[] Backends = [Pods[0], Pods[2]]; // one v1, one v2

    [Fact]
    public async Task An_app_runs_as_the_pod_its_launcher_is_in_and_naming_another_pod_is_refused()
    {
        await using var cgroups = PodCgroups.Create();
        await using var node = await KubernetesTestbed.StartAsync(output,
            ["--discovery-adapter", "kubernetes", "--rules-adapter", "kubernetes", "--socket-group", "65534", .. cgroups.AgentFlags]);
        var testerUid = Guid.NewGuid().ToString();
        var intruderUid = Guid.NewGuid().ToString();
        var tester = cgroups.ContainerOf(testerUid);
        var intruder = cgroups.ContainerOf(intruderUid);
        StartPodServers(node, Backends);
        PutHelloworld(node, Backends);
        foreach (var (name, uid, app) in new[] { (TesterPod, testerUid, "tester"), (IntruderPod, intruderUid, "intruder") })
        {
            node.Api.Put(KubeObjects.Pods, KubeObjects.With(KubeObjects.Pod(name, "10.1.0.50", null, ("app", app)), uid));
            node.Api.Put(KubeObjects.Services, KubeObjects.Service(app, app == "tester" ? "198.18.20.2" : "198.18.20.3", ("http", "TCP", 8080)));
        }
        node.Api.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw-v1", """
            {"destination": "helloworld", "priority": 1, "route": {"backends": [{"tags": ["v1"]}]}}
            """));
        node.Api.Put(KubeObjects.RoutingRules, KubeObjects.RoutingRule("hw-tester", """
            {"destination": "helloworld", "priority": 2, "match": {"source": {"name": "tester", "tags": ["app=tester"]}},
             "route": {"backends": [{"tags": ["v2"]}]}}
            """));
        await WaitForRuleStatusAsync(node, "hw-v1", "valid");
        await WaitForRuleStatusAsync(node, "hw-tester", "valid");
        await Eventually.UntilAsync(async () => (await CountInAsync(node, tester, [], 1)).ContainsKey("v2"), NodeShell.DefaultTimeout,
            "the tester pod's connections taking its source rule", node.Agent.Output.ToString);

        // The launcher in the tester pod is the tester pod: by its own name, or with none given.
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 20 }, await CountInAsync(node, tester, ["--kubernetes-pod-name", TesterPod], 20));
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 20 }, await CountInAsync(node, tester, [], 20));
        // The intruder's own identity has no source rule: v1.
        Assert.Equal(new Dictionary<string, int> { ["v1"] = 20 }, await CountInAsync(node, intruder, [], 20));

        // The attack: the intruder names the tester pod, by flag and by POD_NAME as the downward API would set it.
        var expected = $"ax: pod name \"{TesterPod}\" (--kubernetes-pod-name, POD_NAME or KUBERNETES_POD_NAME) is not this pod's: " +
                       $"the launcher runs in pod default/{IntruderPod}";
        foreach (var claim in new[] { NodeShell.AxRun(["--kubernetes-pod-name", TesterPod], CountingCommand(ClusterIp, 5)),
                     ["env", $"POD_NAME={TesterPod}", .. NodeShell.AxRun([], CountingCommand(ClusterIp, 5))] })
        {
            var refused = await node.Shell.RunInCgroupAsync(intruder, claim);
            Assert.True(refused.ExitCode == 1 && refused.StdOut.Length == 0 && refused.StdErr.Trim() == expected, refused.Describe());
        }
        Assert.Empty(await node.Shell.GetAsync<AppRecord>()); // nothing registered (the clients above have all exited)
        Assert.Contains($"refused: pod name \"{TesterPod}\"", node.Agent.Output); // README: "the agent logs the refusal"

        // A pod the API server does not list (yet): refused after a short wait, with what the agent watches.
        var unknownUid = Guid.NewGuid().ToString();
        var unknown = await node.Shell.RunInCgroupAsync(cgroups.ContainerOf(unknownUid), NodeShell.AxRun([], CountingCommand(ClusterIp, 1)));
        Assert.True(unknown.ExitCode == 1 && unknown.StdErr.Trim() ==
            $"ax: pod {unknownUid} (from the launcher's cgroup) is not known to the agent yet: it is not among the pods it watches " +
            "(namespace default); try again once the API server lists it", unknown.Describe());

        // The same layout below a directory of its own (as in a user's delegated systemd subtree) is no pod: the app runs
        // as none and gets what everyone gets.
        var lookAlike = cgroups.LookAlikeOf(testerUid, "user.slice/user-1000.slice/user@1000.service");
        Assert.Equal(new Dictionary<string, int> { ["v1"] = 5 }, await CountInAsync(node, lookAlike, [], 5));

        // Root on the node, in no pod, may still name a pod (the node's admin).
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 5 }, await CountAsync(node, ["--kubernetes-pod-name", TesterPod], 5, ClusterIp));

        // Another user (a member of --socket-group, so --new-netns=false) in no pod may not: not from the node's own cgroup,
        // nor from the look-alike it could make in its delegated subtree.
        var naming = AsNobody(NodeShell.AxRun(["--new-netns=false", "--kubernetes-pod-name", TesterPod], CountingCommand(ClusterIp, 5)));
        foreach (var result in new[] { await node.Shell.RunAsync(naming), await node.Shell.RunInCgroupAsync(lookAlike, naming) })
            Assert.True(result.ExitCode == 1 && result.StdErr.Trim() == $"ax: pod name \"{TesterPod}\" (--kubernetes-pod-name, POD_NAME or " +
                "KUBERNETES_POD_NAME) refused: the launcher runs in no pod (its cgroup carries no pod UID) and as uid 65534; outside pods " +
                "only root may name a pod", result.Describe());
        // In its pod, a non-root launcher is that pod like root is.
        var inPod = await node.Shell.RunInCgroupAsync(tester, AsNobody(NodeShell.AxRun(["--new-netns=false"], CountingCommand(ClusterIp, 5))));
        Assert.True(inPod.ExitCode == 0 && inPod.StdOut.Trim() == "{\"v2\": 5}", inPod.Describe());
    }

    private static string[] AsNobody(string[] command) => ["runuser", "-u", "nobody", "--", .. command];

    /// <summary>The counting client under `ax run AXOPTIONS`, its launcher started inside <paramref name="cgroup"/>.</summary>
    private static async Task<Dictionary<string, int>> CountInAsync(KubernetesTestbed node, string cgroup, string[] axOptions, int connections)
    {
        var result = await node.Shell.RunInCgroupAsync(cgroup, NodeShell.AxRun(axOptions, CountingCommand(ClusterIp, connections)), TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonSerializer.Deserialize<Dictionary<string, int>>(result.StdOut)!;
    }
}
