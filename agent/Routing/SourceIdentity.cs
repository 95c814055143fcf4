using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Who a connecting app is for a rule's `match.source`: its `--name` and labels — or, for an app started as a
/// Kubernetes pod, the pod's Service and tags while the registry adapter knows the pod: by UID when the agent
/// derived the pod from the launcher's cgroup (names repeat across namespaces), else by the name root gave.
/// </summary>
internal readonly record struct SourceIdentity(string Name, IReadOnlyDictionary<string, string> Tags)
{
    public static SourceIdentity Of(AppEntry client, KubernetesRegistryView kubernetes) =>
        PodIdentity(client, kubernetes) is { } identity
            ? new SourceIdentity(identity.Service, identity.Labels)
            : new SourceIdentity(client.Name, client.Labels);

    private static KubePodIdentity? PodIdentity(AppEntry client, KubernetesRegistryView kubernetes) =>
        client.KubernetesPodUid is { } uid ? kubernetes.PodIdentitiesByUid.GetValueOrDefault(uid)
        : client.KubernetesPod is { } pod ? kubernetes.Pods.GetValueOrDefault(pod)
        : null;
}
