using System.Security.Authentication;
using AppSwitch.Agent.Kubernetes.Client;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>The typed client against the API server stand-in over HTTPS: lists, watch streams, and the errors an operator reads.</summary>
public sealed class KubeApiClientTests : IAsyncLifetime
{
    private FakeKubeApiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeKubeApiServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private KubeApiClient Client(string? token = null, string? authorityPem = null) => new(_server.Connection(token, authorityPem));

    [Fact]
    public async Task List_returns_the_namespace_items_and_the_version_to_watch_from()
    {
        _server.Put(KubeObjects.Services, KubeObjects.Service("helloworld", "10.96.0.20", ("http", "TCP", 5000)));
        _server.Put(KubeObjects.Services, KubeObjects.Service("reviews", "10.96.0.21", (null, "TCP", 9080)));
        using var client = Client();

        var list = await client.ListAsync(KubeResources.Services, "default", CancellationToken.None);

        Assert.Equal(["helloworld", "reviews"], list.Items!.Select(s => s.Metadata.Name).Order());
        Assert.Equal(_server.CurrentVersion.ToString(), list.Metadata.ResourceVersion);
        var helloworld = list.Items!.Single(s => s.Metadata.Name == "helloworld");
        Assert.Equal("10.96.0.20", helloworld.Spec.ClusterIP);
        Assert.Equal(5000, helloworld.Spec.Ports!.Single().Port);
        Assert.Empty((await client.ListAsync(KubeResources.Services, "other", CancellationToken.None)).Items!);
    }

    [Fact]
    public async Task List_follows_continue_pages_until_the_end()
    {
        _server.MaxPageSize = 2;
        for (var i = 0; i < 5; i++) _server.Put(KubeObjects.Pods, KubeObjects.Pod($"p{i}", $"10.1.0.{i + 1}", null));
        using var client = Client();

        var list = await client.ListAsync(KubeResources.Pods, null, CancellationToken.None);

        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], list.Items!.Select(p => p.Metadata.Name));
        Assert.Equal(3, _server.Requests("list", KubeObjects.Pods));
    }

    [Fact]
    public async Task Watch_streams_added_modified_deleted_and_bookmark_events_in_order()
    {
        var start = _server.CurrentVersion.ToString();
        using var client = Client();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = new List<KubeWatchEvent<Pod>>();
        var reading = Task.Run(async () =>
        {
            await foreach (var e in client.WatchAsync(KubeResources.Pods, "default", start, TimeSpan.FromMinutes(1), cancel.Token))
            {
                lock (events) events.Add(e);
                if (e.Type == KubeWatchEventType.Bookmark) break;
            }
        });
        await Infrastructure.Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Pods) == 1, TimeSpan.FromSeconds(10), "the watch to open");

        _server.Put(KubeObjects.Pods, KubeObjects.Pod("web-1", "10.1.0.5", null, ("app", "web")));
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("web-1", "10.1.0.6", null, ("app", "web")));
        _server.Delete(KubeObjects.Pods, "default", "web-1");
        var deleted = _server.CurrentVersion;
        await Infrastructure.Eventually.UntilAsync(() => { lock (events) return events.Count == 3; }, TimeSpan.FromSeconds(10), "three events");
        _server.SendBookmark(KubeObjects.Pods, "Pod");
        await reading;

        Assert.Equal([KubeWatchEventType.Added, KubeWatchEventType.Modified, KubeWatchEventType.Deleted, KubeWatchEventType.Bookmark],
            events.Select(e => e.Type));
        Assert.Equal("10.1.0.6", events[1].Object!.Status!.PodIP);
        Assert.Equal(deleted.ToString(), events[3].ResourceVersion);
    }

    [Fact]
    public async Task Watch_from_a_compacted_version_reports_410_gone()
    {
        var old = _server.CurrentVersion.ToString();
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("web-1", "10.1.0.5", null));
        _server.CompactHistory();
        using var client = Client();

        var error = await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var _ in client.WatchAsync(KubeResources.Pods, "default", old, TimeSpan.FromMinutes(1), CancellationToken.None)) { }
        });

        Assert.True(error.IsGone);
        Assert.Contains("too old resource version", error.Message);
    }

    [Fact]
    public async Task A_wrong_token_is_reported_as_401_with_where_to_fix_it()
    {
        using var client = Client(token: "not-the-token");

        var error = await Assert.ThrowsAsync<KubeApiException>(() => client.ListAsync(KubeResources.Pods, "default", CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
        Assert.Equal("Kubernetes API rejected the credentials (401 Unauthorized) to list pods in namespace default: Unauthorized; " +
                     "check --kubernetes-token, the kubeconfig user, or the pod's ServiceAccount token", error.Message);
    }

    [Fact]
    public async Task A_forbidden_resource_is_reported_as_403_naming_the_verb_resource_and_the_rbac_fix()
    {
        _server.Forbid(KubeObjects.ReplicaSets);
        using var client = Client();

        var error = await Assert.ThrowsAsync<KubeApiException>(() => client.ListAsync(KubeResources.ReplicaSets, "default", CancellationToken.None));

        Assert.Equal(403, error.StatusCode);
        Assert.StartsWith("Kubernetes API forbids this agent to list replicasets.apps in namespace default (403 Forbidden): " +
                          "replicasets is forbidden: User \"system:serviceaccount:kube-system:appswitch\" cannot list", error.Message);
        Assert.EndsWith("the agent's ServiceAccount needs an RBAC rule granting 'list' on 'replicasets.apps' (see the ClusterRole in kube-daemonset.yaml)",
            error.Message);
    }

    [Fact]
    public async Task A_server_certificate_from_another_authority_is_refused()
    {
        using var other = TestCertificates.Create("someone-else");
        using var client = Client(authorityPem: other.AuthorityPem);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.ListAsync(KubeResources.Pods, "default", CancellationToken.None));

        Assert.IsType<AuthenticationException>(error.InnerException);
        Assert.Equal(0, _server.Requests("list", KubeObjects.Pods));
    }
}
