using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Agent.Kubernetes.Models;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>Stand-in objects (collection, JSON) read as the agent's informers would hold them.</summary>
public static class KubeSnapshots
{
    public static T Parse<T>(string json) => JsonSerializer.Deserialize(json, (JsonTypeInfo<T>)KubeJsonContext.Default.GetTypeInfo(typeof(T))!)!;

    public static KubeClusterSnapshot Of(IEnumerable<(string Collection, string Json)> objects)
    {
        var list = objects.ToList();
        IReadOnlyList<T> Items<T>(string collection) => [.. list.Where(o => o.Collection == collection).Select(o => Parse<T>(o.Json))];
        return new KubeClusterSnapshot
        {
            Services = Items<Service>(KubeObjects.Services),
            EndpointSlices = Items<EndpointSlice>(KubeObjects.EndpointSlices),
            Endpoints = Items<Endpoints>(KubeObjects.Endpoints),
            Pods = Items<Pod>(KubeObjects.Pods),
            ReplicaSets = Items<Workload>(KubeObjects.ReplicaSets),
        };
    }
}
