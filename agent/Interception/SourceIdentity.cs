using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Who a connecting app is for a rule's `match.source`: its `--name` and labels — or, for an app started as a
/// Kubernetes pod (`ax run --kubernetes-pod-name`, POD_NAME), the pod's Service and tags while the registry
/// adapter knows the pod.
/// </summary>
internal readonly record struct SourceIdentity(string Name, IReadOnlyDictionary<string, string> Tags)
{
    public static SourceIdentity Of(AppEntry client, ServiceTable table) =>
        client.KubernetesPod is { } pod && table.Kubernetes.IdentityOf(pod) is { } identity
            ? new SourceIdentity(identity.Service, identity.Labels)
            : new SourceIdentity(client.Name, client.Labels);
}
