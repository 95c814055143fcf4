using AppSwitch.Agent.Kubernetes.Mapping;
using k8s;
using k8s.Models;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>Stand-in objects (collection, JSON) read as the agent's informers would hold them.</summary>
public static class KubeSnapshots
{
    /// <summary>As KubernetesClient reads an object off the wire.</summary>
    public static T Parse<T>(string json) => KubernetesJson.Deserialize<T>(json);

    public static KubeClusterSnapshot Of(IEnumerable<(string Collection, string Json)> objects)
    {
        var list = objects.ToList();
        IReadOnlyList<T> Items<T>(string collection) => [.. list.Where(o => o.Collection == collection).Select(o => Parse<T>(o.Json))];
        return new KubeClusterSnapshot
        {
            Services = Items<V1Service>(KubeObjects.Services),
            EndpointSlices = Items<V1EndpointSlice>(KubeObjects.EndpointSlices),
            Endpoints = Items<V1Endpoints>(KubeObjects.Endpoints),
            Pods = Items<V1Pod>(KubeObjects.Pods),
            ReplicaSets = Items<V1ReplicaSet>(KubeObjects.ReplicaSets),
        };
    }
}
