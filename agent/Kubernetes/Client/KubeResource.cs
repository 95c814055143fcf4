using System.Text.Json.Serialization.Metadata;
using AppSwitch.Agent.Kubernetes.Models;

namespace AppSwitch.Agent.Kubernetes.Client;

/// <summary>One API resource: where it lives (group, version, plural) and how its list is read.</summary>
public sealed record KubeResource<T>(string Group, string Version, string Plural, bool Namespaced, JsonTypeInfo<KubeList<T>> ListType)
    where T : class, IKubeObject
{
    /// <summary>The collection path; a null namespace means every namespace (or a cluster-scoped resource).</summary>
    public string CollectionPath(string? @namespace)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced && @namespace is not null ? $"{root}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}" : $"{root}/{Plural}";
    }

    /// <summary>The name RBAC rules use: `pods`, `replicasets.apps`.</summary>
    public string RbacName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}

/// <summary>The resources the agent reads.</summary>
public static class KubeResources
{
    private static KubeJsonContext Json => KubeJsonContext.Default;

    public static readonly KubeResource<Service> Services = new("", "v1", "services", true, Json.KubeListService);
    public static readonly KubeResource<Endpoints> Endpoints = new("", "v1", "endpoints", true, Json.KubeListEndpoints);
    public static readonly KubeResource<EndpointSlice> EndpointSlices =
        new("discovery.k8s.io", "v1", "endpointslices", true, Json.KubeListEndpointSlice);
    public static readonly KubeResource<Pod> Pods = new("", "v1", "pods", true, Json.KubeListPod);
    public static readonly KubeResource<Workload> ReplicationControllers = new("", "v1", "replicationcontrollers", true, Json.KubeListWorkload);
    public static readonly KubeResource<Workload> ReplicaSets = new("apps", "v1", "replicasets", true, Json.KubeListWorkload);
    public static readonly KubeResource<Workload> Deployments = new("apps", "v1", "deployments", true, Json.KubeListWorkload);
    public static readonly KubeResource<Workload> StatefulSets = new("apps", "v1", "statefulsets", true, Json.KubeListWorkload);
    public static readonly KubeResource<Workload> DaemonSets = new("apps", "v1", "daemonsets", true, Json.KubeListWorkload);
    public static readonly KubeResource<Node> Nodes = new("", "v1", "nodes", false, Json.KubeListNode);
    public static readonly KubeResource<RoutingRule> RoutingRules = new("amalgam8.io", "v1", "routingrules", true, Json.KubeListRoutingRule);
}
