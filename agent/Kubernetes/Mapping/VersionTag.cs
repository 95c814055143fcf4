using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>
/// Amalgam8's version tag: the name of the controller that manages the pod, after its last dash
/// (`helloworld-v1` → `v1`; no dash → the whole name). A ReplicaSet's generated name would give its hash,
/// so for ReplicaSet-owned pods the Deployment's name is used.
/// </summary>
public static class VersionTag
{
    public const string PodTemplateHashLabel = "pod-template-hash";

    public static string? For(V1Pod pod, Func<string, string, V1ReplicaSet?> findReplicaSet)
    {
        var controllerName = ControllerName(pod, findReplicaSet);
        return controllerName is null ? null : FromName(controllerName);
    }

    public static string FromName(string controllerName)
    {
        var dash = controllerName.LastIndexOf('-');
        return dash < 0 || dash == controllerName.Length - 1 ? controllerName : controllerName[(dash + 1)..];
    }

    private static string? ControllerName(V1Pod pod, Func<string, string, V1ReplicaSet?> findReplicaSet)
    {
        var owner = Controller(pod.Metadata);
        if (owner is null) return null;
        if (owner.Kind != "ReplicaSet") return owner.Name; // ReplicationController, StatefulSet, DaemonSet, Job, …
        var replicaSet = findReplicaSet(pod.Metadata.NamespaceProperty ?? "", owner.Name);
        if (replicaSet is not null)
            return Controller(replicaSet.Metadata) is { Kind: "Deployment" } deployment ? deployment.Name : owner.Name;
        // ReplicaSet not (yet) cached: a Deployment's ReplicaSet is named <deployment>-<pod-template-hash>.
        var hash = (pod.Metadata.Labels?.TryGetValue(PodTemplateHashLabel, out var label) == true ? label : null);
        return hash is { Length: > 0 } && owner.Name.EndsWith("-" + hash, StringComparison.Ordinal)
            ? owner.Name[..^(hash.Length + 1)]
            : owner.Name;
    }

    private static V1OwnerReference? Controller(V1ObjectMeta metadata) =>
        metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true) ?? metadata.OwnerReferences?.FirstOrDefault();
}
