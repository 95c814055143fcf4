namespace AppSwitch.Agent.Kubernetes.Connection;

/// <summary>What the operator said about Kubernetes on the command line (all optional).</summary>
public sealed record KubeSettings
{
    /// <summary>--kubernetes-url / --kubernetes_url / A8_K8S_URL.</summary>
    public string? Url { get; init; }
    /// <summary>--kubernetes-token / --kubernetes_token / A8_K8S_TOKEN.</summary>
    public string? Token { get; init; }
    /// <summary>--kubeconfig, else KUBECONFIG.</summary>
    public string? Kubeconfig { get; init; }
    /// <summary>--kubernetes-namespace: the namespace watched; null means every namespace ("all").</summary>
    public string? Namespace { get; init; } = "default";
    /// <summary>--kubernetes-cgroup-root: the kubelet's --cgroup-root, below which pods' cgroups are.</summary>
    public string CgroupRoot { get; init; } = "/";
}
