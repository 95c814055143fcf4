using AppSwitch.Agent.Kubernetes.Models;

namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>The objects the mapper reads, as the informers' caches hold them at one moment.</summary>
public sealed record KubeClusterSnapshot
{
    public IReadOnlyList<Service> Services { get; init; } = [];
    public IReadOnlyList<EndpointSlice> EndpointSlices { get; init; } = [];
    public IReadOnlyList<Endpoints> Endpoints { get; init; } = [];
    public IReadOnlyList<Pod> Pods { get; init; } = [];
    /// <summary>Needed to name a ReplicaSet's Deployment; without it the pod-template-hash suffix is cut off instead.</summary>
    public IReadOnlyList<Workload> ReplicaSets { get; init; } = [];
}
