using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>
/// What KubernetesClient leaves to its caller, done by the informer against the API server stand-in over HTTPS:
/// list paging, and the errors an operator reads (403 with the RBAC fix, a server certificate from another CA).
/// </summary>
public sealed class KubeInformerListingTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private FakeKubeApiServer _server = null!;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(IKubernetes Client, Task Running)> _started = [];

    public async Task InitializeAsync() => _server = await FakeKubeApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var (client, running) in _started)
        {
            await running;
            client.Dispose();
        }
        await _server.DisposeAsync();
    }

    private KubeInformer<T, TList> Start<T, TList>(KubeResource<T, TList> resource, string? @namespace, string? authorityPem = null,
        TimeSpan? watchTimeout = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : class, IItems<T>, IMetadata<V1ListMeta>
    {
        var client = _server.Connection(authorityPem: authorityPem).CreateClient();
        var informer = new KubeInformer<T, TList>(client, resource, @namespace,
            new InformerOptions
            {
                InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(400),
                WatchTimeout = watchTimeout ?? new InformerOptions().WatchTimeout,
            }, NullLogger.Instance);
        _started.Add((client, informer.RunAsync(_stop.Token)));
        return informer;
    }

    [Fact]
    public async Task A_list_cut_into_pages_is_followed_to_the_end()
    {
        _server.MaxPageSize = 2;
        for (var i = 0; i < 5; i++) _server.Put(KubeObjects.Pods, KubeObjects.Pod($"p{i}", $"10.1.0.{i + 1}", null));

        var informer = Start(KubeResources.Pods, null);
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);

        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], informer.Snapshot().Select(p => p.Metadata.Name).Order());
        Assert.Equal(3, _server.Requests("list", KubeObjects.Pods));
        Assert.Equal(_server.CurrentVersion.ToString(), informer.ResourceVersion);
    }

    [Fact]
    public async Task Services_are_read_with_their_cluster_ip_and_ports_and_only_from_the_namespace()
    {
        _server.Put(KubeObjects.Services, KubeObjects.Service("helloworld", "10.96.0.20", ("http", "TCP", 5000)));
        _server.Put(KubeObjects.Services, KubeObjects.Service("reviews", "10.96.0.21", (null, "TCP", 9080)));

        var inDefault = Start(KubeResources.Services, "default");
        var inOther = Start(KubeResources.Services, "other");
        await inDefault.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        await inOther.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);

        var helloworld = inDefault.Snapshot().Single(s => s.Metadata.Name == "helloworld");
        Assert.Equal("10.96.0.20", helloworld.Spec.ClusterIP);
        Assert.Equal(5000, helloworld.Spec.Ports.Single().Port);
        Assert.Equal(2, inDefault.Snapshot().Count);
        Assert.Empty(inOther.Snapshot());
    }

    [Fact]
    public async Task A_watch_the_server_ends_with_no_event_is_a_normal_end_and_watched_again_without_an_error()
    {
        // KubernetesClient throws HttpRequestException for a watch that ends before its first line (a quiet collection
        // at timeoutSeconds); the informer takes it as the end it is.
        var informer = Start(KubeResources.Pods, "default", watchTimeout: TimeSpan.FromSeconds(1));
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);

        await Eventually.UntilAsync(() => _server.Requests("watch", KubeObjects.Pods) >= 3, Wait, "the watch to be opened again twice");

        Assert.Null(informer.LastError);
        Assert.Equal(1, informer.ListCount);
    }

    [Fact]
    public async Task A_forbidden_resource_is_reported_as_403_naming_the_verb_resource_and_the_rbac_fix()
    {
        _server.Forbid(KubeObjects.ReplicaSets);

        var informer = Start(KubeResources.ReplicaSets, "default");
        await Eventually.UntilAsync(() => informer.LastError is not null, Wait, "the 403 to be reported");

        Assert.StartsWith("Kubernetes API forbids this agent to list replicasets.apps in namespace default (403 Forbidden): " +
                          "replicasets is forbidden: User \"system:serviceaccount:kube-system:appswitch\" cannot list", informer.LastError);
        Assert.EndsWith("the agent's ServiceAccount needs an RBAC rule granting 'list' on 'replicasets.apps' (see the ClusterRole in kube-daemonset.yaml)",
            informer.LastError);
        Assert.False(informer.HasSynced);
    }

    [Fact]
    public async Task A_server_certificate_from_another_authority_is_refused_before_any_request()
    {
        using var other = TestCertificates.Create("someone-else");

        var informer = Start(KubeResources.Pods, "default", other.AuthorityPem);
        await Eventually.UntilAsync(() => informer.LastError is not null, Wait, "the TLS failure to be reported");

        Assert.Contains("SSL connection could not be established", informer.LastError);
        Assert.Equal(0, _server.Requests("list", KubeObjects.Pods));
        Assert.False(informer.HasSynced);
    }
}
