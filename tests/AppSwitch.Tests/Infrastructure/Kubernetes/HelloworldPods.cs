using System.Text.Json;
using Xunit;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// Seed 002's helloworld on a <see cref="KubernetesTestbed"/> node: the "pods" are real servers in the node's
/// namespace, each at the node address on a port of its own (its EndpointSlice says so), answering every connection
/// with its version; apps under ax reach them through the Service's ClusterIP (from 198.18.0.0/15).
/// </summary>
public static class HelloworldPods
{
    public const string ClusterIp = "198.18.20.1";
    public const int ServicePort = 80;
    public const string V1Hash = "6b9f8d7c5";
    public const string V2Hash = "5c7f9b8d4";

    /// <summary>The agent flags that mirror Services and read RoutingRules from the API server.</summary>
    public static readonly string[] AdapterFlags = ["--discovery-adapter", "kubernetes", "--rules-adapter", "kubernetes"];

    public sealed record PodServer(string Name, string Version, int Port);

    public static readonly PodServer[] Pods =
    [
        new($"helloworld-v1-{V1Hash}-abcde", "v1", 5011),
        new($"helloworld-v1-{V1Hash}-fghij", "v1", 5012),
        new($"helloworld-v2-{V2Hash}-klmno", "v2", 5021),
        new($"helloworld-v2-{V2Hash}-pqrst", "v2", 5022),
    ];

    /// <summary>The counting client's argv: <paramref name="connections"/> connections to host:<see cref="ServicePort"/>.</summary>
    public static string[] CountingCommand(string host, int connections) => VersionPrograms.CountingClient(host, ServicePort, connections);

    public static void StartPodServers(KubernetesTestbed node, IEnumerable<PodServer> pods)
    {
        foreach (var pod in pods) node.Shell.Start(VersionPrograms.VersionServer(pod.Version, pod.Port));
    }

    public static string Slice(PodServer pod) => $"helloworld-{pod.Name[^5..]}";

    /// <summary>Seed 002's helloworld: Service (port "http" 80), Deployments and ReplicaSets per version, the pods.</summary>
    public static void PutHelloworld(KubernetesTestbed node, IEnumerable<PodServer> pods)
    {
        node.Api.Put(KubeObjects.Services, KubeObjects.Service("helloworld", ClusterIp, ("http", "TCP", ServicePort)));
        foreach (var (version, hash) in new[] { ("v1", V1Hash), ("v2", V2Hash) })
        {
            node.Api.Put("/apis/apps/v1/deployments", KubeObjects.Workload("Deployment", $"helloworld-{version}"));
            node.Api.Put(KubeObjects.ReplicaSets, KubeObjects.Workload("ReplicaSet", $"helloworld-{version}-{hash}", ("Deployment", $"helloworld-{version}")));
        }
        foreach (var pod in pods) PutPod(node, pod);
    }

    /// <summary>The pod, and its own EndpointSlice (its port differs from the others': all "pods" share the node address).</summary>
    public static void PutPod(KubernetesTestbed node, PodServer pod)
    {
        var hash = pod.Version == "v1" ? V1Hash : V2Hash;
        node.Api.Put(KubeObjects.Pods, KubeObjects.Pod(pod.Name, node.Node.Address, ("ReplicaSet", $"helloworld-{pod.Version}-{hash}"),
            ("app", "helloworld"), ("version", pod.Version), ("pod-template-hash", hash)));
        node.Api.Put(KubeObjects.EndpointSlices, KubeObjects.EndpointSlice(Slice(pod), "helloworld", [(pod.Name, node.Node.Address, true)],
            ("http", "TCP", pod.Port)));
    }

    public static async Task<string> WaitForRuleStatusAsync(KubernetesTestbed node, string name, string state)
    {
        string? message = null;
        await Eventually.UntilAsync(() =>
        {
            var status = node.Api.Get(KubeObjects.RoutingRules, "default", name)?["status"];
            message = (string?)status?["message"];
            return (string?)status?["state"] == state;
        }, NodeShell.DefaultTimeout, $"RoutingRule {name} status {state}", node.Agent.Output.ToString);
        return message!;
    }

    /// <summary>Runs the counting client under `ax run AXOPTIONS` and returns its counts.</summary>
    public static async Task<Dictionary<string, int>> CountAsync(KubernetesTestbed node, string[] axOptions, int connections, string host)
    {
        var result = await node.Shell.RunUnderAxAsync(axOptions, CountingCommand(host, connections), TimeSpan.FromSeconds(180));
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonSerializer.Deserialize<Dictionary<string, int>>(result.StdOut)!;
    }
}
