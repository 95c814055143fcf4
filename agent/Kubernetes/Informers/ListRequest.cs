using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Informers;

/// <summary>What one list or watch request asks (KubernetesClient's query parameters; paging is the caller's).</summary>
public sealed record ListRequest(string? Namespace, bool Watch, string? Continue, int? Limit, string? ResourceVersion, int? TimeoutSeconds)
{
    public bool? WatchParameter => Watch ? true : null;
    public bool? Bookmarks => Watch ? true : null;
}
