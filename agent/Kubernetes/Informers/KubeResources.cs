using AppSwitch.Agent.Kubernetes.Models;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Informers;

/// <summary>The resources the agent reads, each with its typed KubernetesClient call.</summary>
public static class KubeResources
{
    public static readonly KubeResource<V1Service, V1ServiceList> Services = new("services", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct)
        : k.CoreV1.ListNamespacedServiceWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    public static readonly KubeResource<V1Endpoints, V1EndpointsList> Endpoints = new("endpoints", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListEndpointsForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct)
        : k.CoreV1.ListNamespacedEndpointsWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    public static readonly KubeResource<V1EndpointSlice, V1EndpointSliceList> EndpointSlices = new("endpointslices.discovery.k8s.io", (k, r, ct) => r.Namespace is null
        ? k.DiscoveryV1.ListEndpointSliceForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct)
        : k.DiscoveryV1.ListNamespacedEndpointSliceWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    public static readonly KubeResource<V1Pod, V1PodList> Pods = new("pods", (k, r, ct) => r.Namespace is null
        ? k.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct)
        : k.CoreV1.ListNamespacedPodWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    public static readonly KubeResource<V1ReplicaSet, V1ReplicaSetList> ReplicaSets = new("replicasets.apps", (k, r, ct) => r.Namespace is null
        ? k.AppsV1.ListReplicaSetForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct)
        : k.AppsV1.ListNamespacedReplicaSetWithHttpMessagesAsync(r.Namespace, allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    /// <summary>Cluster-scoped: the namespace is ignored.</summary>
    public static readonly KubeResource<V1Node, V1NodeList> Nodes = new("nodes", (k, r, ct) =>
        k.CoreV1.ListNodeWithHttpMessagesAsync(allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    /// <summary>The custom resource, through KubernetesClient's CustomObjects API with our typed list.</summary>
    public static readonly KubeResource<RoutingRule, RoutingRuleList> RoutingRules = new($"{RoutingRule.Plural}.{RoutingRule.Group}", (k, r, ct) => r.Namespace is null
        ? k.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<RoutingRuleList>(RoutingRule.Group, RoutingRule.Version, RoutingRule.Plural,
            allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct)
        : k.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<RoutingRuleList>(RoutingRule.Group, RoutingRule.Version, r.Namespace, RoutingRule.Plural,
            allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    /// <summary>Cluster-scoped: one object per node (--replication kube).</summary>
    public static readonly KubeResource<AppSwitchNode, AppSwitchNodeList> AppSwitchNodes = new($"{AppSwitchNode.Plural}.{AppSwitchNode.Group}", (k, r, ct) =>
        k.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<AppSwitchNodeList>(AppSwitchNode.Group, AppSwitchNode.Version, AppSwitchNode.Plural,
            allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue, limit: r.Limit,
            resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));

    /// <summary>The nodes' Leases (--replication kube), in the agents' namespace.</summary>
    public static readonly KubeResource<V1Lease, V1LeaseList> Leases = new("leases.coordination.k8s.io", (k, r, ct) =>
        k.CoordinationV1.ListNamespacedLeaseWithHttpMessagesAsync(r.Namespace ?? "kube-system", allowWatchBookmarks: r.Bookmarks, continueParameter: r.Continue,
            limit: r.Limit, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, watch: r.WatchParameter, cancellationToken: ct));
}
