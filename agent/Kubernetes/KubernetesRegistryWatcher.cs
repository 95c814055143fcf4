using System.Threading.Channels;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Mapping;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Kubernetes;

/// <summary>
/// The registry adapter's watching half: one informer each for Services, EndpointSlices, Endpoints, Pods and
/// ReplicaSets in the namespace (null: all), a combined snapshot for <see cref="KubernetesServiceMapper"/>, and
/// <see cref="Changes"/>, a coalesced "something changed" signal (one pending item at most) to recompute on.
/// </summary>
public sealed class KubernetesRegistryWatcher
{
    private readonly KubeInformer<V1Service, V1ServiceList> _services;
    private readonly KubeInformer<V1EndpointSlice, V1EndpointSliceList> _slices;
    private readonly KubeInformer<V1Endpoints, V1EndpointsList> _endpoints;
    private readonly KubeInformer<V1Pod, V1PodList> _pods;
    private readonly KubeInformer<V1ReplicaSet, V1ReplicaSetList> _replicaSets;
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public KubernetesRegistryWatcher(IKubernetes client, string? @namespace, InformerOptions options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger<KubernetesRegistryWatcher>();
        _services = new(client, KubeResources.Services, @namespace, options, logger);
        _slices = new(client, KubeResources.EndpointSlices, @namespace, options, logger);
        _endpoints = new(client, KubeResources.Endpoints, @namespace, options, logger);
        _pods = new(client, KubeResources.Pods, @namespace, options, logger);
        _replicaSets = new(client, KubeResources.ReplicaSets, @namespace, options, logger);
    }

    public ChannelReader<bool> Changes => _changes.Reader;

    public bool HasSynced => _services.HasSynced && _slices.HasSynced && _endpoints.HasSynced && _pods.HasSynced && _replicaSets.HasSynced;

    /// <summary>Why the view may be stale (the first informer error), or null when every watch is healthy.</summary>
    public string? LastError => _services.LastError ?? _slices.LastError ?? _endpoints.LastError ?? _pods.LastError ?? _replicaSets.LastError;

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => Task.WhenAll(
        _services.WaitForSyncAsync(cancellationToken), _slices.WaitForSyncAsync(cancellationToken), _endpoints.WaitForSyncAsync(cancellationToken),
        _pods.WaitForSyncAsync(cancellationToken), _replicaSets.WaitForSyncAsync(cancellationToken));

    public KubeClusterSnapshot Snapshot() => new()
    {
        Services = _services.Snapshot(),
        EndpointSlices = _slices.Snapshot(),
        Endpoints = _endpoints.Snapshot(),
        Pods = _pods.Snapshot(),
        ReplicaSets = _replicaSets.Snapshot(),
    };

    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        Run(_services, cancellationToken), Run(_slices, cancellationToken), Run(_endpoints, cancellationToken),
        Run(_pods, cancellationToken), Run(_replicaSets, cancellationToken));

    private async Task Run<T, TList>(KubeInformer<T, TList> informer, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : class, IItems<T>, IMetadata<V1ListMeta>
    {
        var pump = Task.Run(async () =>
        {
            await foreach (var _ in informer.Events.ReadAllAsync(CancellationToken.None)) _changes.Writer.TryWrite(true);
        }, CancellationToken.None);
        await informer.RunAsync(cancellationToken);
        await pump;
    }
}
