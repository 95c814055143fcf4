using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Kubernetes.Informers;
using k8s;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>From the API server stand-in to service instances: the watches feed the mapper, and a pod that stops being ready drops out.</summary>
public sealed class KubernetesRegistryWatcherTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private FakeKubeApiServer _server = null!;
    private IKubernetes _client = null!;
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync();
        _client = _server.Connection().CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Helloworld_from_the_api_server_maps_to_its_instances_and_follows_readiness_changes()
    {
        foreach (var (collection, json) in HelloworldCluster.Objects()) _server.Put(collection, json);
        var watcher = new KubernetesRegistryWatcher(_client, "default", new InformerOptions(), NullLoggerFactory.Instance);
        var running = watcher.RunAsync(_stop.Token);
        var mapper = new KubernetesServiceMapper();
        string Endpoints() => string.Join(" ", mapper.Instances(watcher.Snapshot()).Select(i => $"{i.Tags[0]}@{i.Endpoint.Value}").Order());

        await Eventually.UntilAsync(() => watcher.HasSynced, Wait, "every informer to sync", () => watcher.LastError ?? "");
        Assert.Equal("v1@10.1.0.11:5000 v1@10.1.0.12:5000 v2@10.1.0.21:5000 v2@10.1.0.22:5000", Endpoints());

        // v2's second pod stops being ready: the endpoint controller rewrites the slice.
        await watcher.Changes.ReadAsync(new CancellationTokenSource(Wait).Token);
        while (watcher.Changes.TryRead(out _)) { }
        _server.Put(KubeObjects.EndpointSlices, KubeObjects.EndpointSlice("helloworld-x7k2p", "helloworld",
            [.. HelloworldCluster.Pods().Select(p => (p.Pod, p.Ip, p.Ip is "10.1.0.11" or "10.1.0.12" or "10.1.0.21"))], ("http", "TCP", 5000)));

        await watcher.Changes.ReadAsync(new CancellationTokenSource(Wait).Token);
        await Eventually.UntilAsync(() => Endpoints() == "v1@10.1.0.11:5000 v1@10.1.0.12:5000 v2@10.1.0.21:5000", Wait, "the not-ready pod to drop out", Endpoints);
        await _stop.CancelAsync();
        await running;
    }
}
