namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// Seed 002's helloworld as a cluster of today holds it: Service helloworld (port "http", 5000), Deployments
/// helloworld-v1 and helloworld-v2 with a ReplicaSet each, two running pods per version, and an EndpointSlice
/// listing the four ready pods plus one terminating (not ready) pod of v1.
/// </summary>
public static class HelloworldCluster
{
    public const string ClusterIp = "10.96.0.20";
    public const string V1Hash = "6b9f8d7c5";
    public const string V2Hash = "5c7f9b8d4";

    public static IEnumerable<(string Collection, string Json)> Objects()
    {
        yield return (KubeObjects.Services, KubeObjects.Service("helloworld", ClusterIp, ("http", "TCP", 5000)));
        foreach (var (version, hash) in new[] { ("v1", V1Hash), ("v2", V2Hash) })
        {
            yield return ("/apis/apps/v1/deployments", KubeObjects.Workload("Deployment", $"helloworld-{version}"));
            yield return (KubeObjects.ReplicaSets, KubeObjects.Workload("ReplicaSet", $"helloworld-{version}-{hash}", ("Deployment", $"helloworld-{version}")));
        }
        foreach (var (pod, ip) in Pods())
        {
            var version = pod.Contains("-v1-") ? "v1" : "v2";
            var hash = version == "v1" ? V1Hash : V2Hash;
            yield return (KubeObjects.Pods, KubeObjects.Pod(pod, ip, ("ReplicaSet", $"helloworld-{version}-{hash}"),
                ("app", "helloworld"), ("version", version), ("pod-template-hash", hash)));
        }
        yield return (KubeObjects.EndpointSlices, KubeObjects.EndpointSlice("helloworld-x7k2p", "helloworld",
            [.. Pods().Select(p => (p.Pod, p.Ip, p.Pod != "helloworld-v1-6b9f8d7c5-old00"))], ("http", "TCP", 5000)));
    }

    public static (string Pod, string Ip)[] Pods() =>
    [
        ($"helloworld-v1-{V1Hash}-abcde", "10.1.0.11"),
        ($"helloworld-v1-{V1Hash}-fghij", "10.1.0.12"),
        ($"helloworld-v1-{V1Hash}-old00", "10.1.0.19"),
        ($"helloworld-v2-{V2Hash}-klmno", "10.1.0.21"),
        ($"helloworld-v2-{V2Hash}-pqrst", "10.1.0.22"),
    ];
}
