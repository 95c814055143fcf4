namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>
/// ReplicaSet, Deployment, ReplicationController, StatefulSet or DaemonSet: for version tags only the name
/// and the owners matter, so the five kinds share this shape (each is its own resource to the client).
/// </summary>
public sealed record Workload : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();
}
