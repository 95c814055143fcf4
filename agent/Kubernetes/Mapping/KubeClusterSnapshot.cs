using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>The objects the mapper reads, as the informers' caches hold them at one moment.</summary>
public sealed record KubeClusterSnapshot
{
    public IReadOnlyList<V1Service> Services { get; init; } = [];
    public IReadOnlyList<V1EndpointSlice> EndpointSlices { get; init; } = [];
    public IReadOnlyList<V1Endpoints> Endpoints { get; init; } = [];
    public IReadOnlyList<V1Pod> Pods { get; init; } = [];
    /// <summary>Needed to name a ReplicaSet's Deployment; without it the pod-template-hash suffix is cut off instead.</summary>
    public IReadOnlyList<V1ReplicaSet> ReplicaSets { get; init; } = [];
}
