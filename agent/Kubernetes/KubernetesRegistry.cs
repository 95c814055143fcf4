using System.Net;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Kubernetes;

/// <summary>
/// What the registry adapter mirrors from Kubernetes, as the connect path, the service view and DNS read it: the
/// ready instances, each Service's ClusterIP:port as a virtual endpoint, the Services' DNS names and the pods'
/// identities. Replaced whole on each change (one volatile read per lookup; empty when the adapter is off).
/// </summary>
public sealed class KubernetesRegistry
{
    public const string Owner = "kubernetes";

    private volatile KubernetesRegistryView _view = KubernetesRegistryView.Empty;
    private TaskCompletionSource _replaced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsEmpty => _view.IsEmpty;

    /// <summary>The registry as it is now: one consistent view (a later change replaces it, never alters it).</summary>
    public KubernetesRegistryView View => _view;

    /// <summary>Raised after each <see cref="Replace"/> (a routing snapshot source marks itself stale).</summary>
    public event Action? Replaced;

    public void Replace(KubernetesRegistryView view)
    {
        _view = view;
        Replaced?.Invoke();
        Interlocked.Exchange(ref _replaced, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Completes at the next <see cref="Replace"/>: take it before looking, then wait for it.</summary>
    public Task NextReplace => Volatile.Read(ref _replaced).Task;

    /// <summary>The Service port behind ClusterIP:port, or null when the address is no Service's.</summary>
    public KubeVirtualEndpoint? FindVirtual(IPAddress address, int port) =>
        _view.Virtuals.GetValueOrDefault((address, port));

    public bool IsClusterIp(IPAddress address) => _view.ClusterIps.Contains(address);

    /// <summary>ClusterIPs of a name (`svc`, `svc.ns`, `svc.ns.svc.cluster.local`; lowercase); empty when unknown.</summary>
    public IReadOnlyList<IPAddress> AddressesOfName(string name) =>
        _view.Names.TryGetValue(name, out var addresses) ? addresses : [];

    /// <summary>The pod's Service (any one when several select it) and its labels; null when the pod is unknown.</summary>
    public KubePodIdentity? IdentityOf(string podName) => _view.Pods.GetValueOrDefault(podName);

    /// <summary>The pod's identity by its UID (pod names repeat across namespaces, UIDs do not).</summary>
    public KubePodIdentity? IdentityOfUid(string podUid) => _view.PodIdentitiesByUid.GetValueOrDefault(podUid);

    /// <summary>The watched pod with this UID (any pod, with or without a Service); null when none is known.</summary>
    public KubePodRef? PodOfUid(string podUid) => _view.PodsByUid.GetValueOrDefault(podUid);

    public IReadOnlyList<ServiceInstanceRecord> Instances() => _view.Instances;
}
