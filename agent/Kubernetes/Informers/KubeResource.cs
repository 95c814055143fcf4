using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Informers;

/// <summary>
/// One API resource for an informer: its RBAC name (`pods`, `replicasets.apps`) and the KubernetesClient call that
/// lists or watches it, namespaced or (null namespace, or a cluster-scoped resource) across the cluster.
/// </summary>
public sealed record KubeResource<T, TList>(string RbacName,
    Func<IKubernetes, ListRequest, CancellationToken, Task<HttpOperationResponse<TList>>> List)
    where T : class, IKubernetesObject<V1ObjectMeta>
    where TList : class, IItems<T>, IMetadata<V1ListMeta>;
