using AppSwitch.Agent.Kubernetes.Informers;
using k8s;
using k8s.Models;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>
/// The list-then-watch loop against the API server stand-in: it follows changes, lists again after 410 Gone,
/// resumes after a dropped stream, moves on with bookmarks, and keeps retrying through auth failures.
/// </summary>
public sealed class KubeInformerTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private FakeKubeApiServer _server = null!;
    private IKubernetes _client = null!;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync();
        _client = _server.Connection().CreateClient();
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private KubeInformer<V1Pod, V1PodList> StartPodInformer(InformerOptions? options = null)
    {
        var informer = new KubeInformer<V1Pod, V1PodList>(_client, KubeResources.Pods, "default",
            options ?? new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(400) },
            NullLogger.Instance);
        _running = informer.RunAsync(_stop.Token);
        return informer;
    }

    private static string[] Names(KubeInformer<V1Pod, V1PodList> informer) => [.. informer.Snapshot().Select(p => p.Metadata.Name).Order()];

    private static async Task<List<string>> Drain(KubeInformer<V1Pod, V1PodList> informer, int count)
    {
        var seen = new List<string>();
        using var timeout = new CancellationTokenSource(Wait);
        while (seen.Count < count) seen.Add(await informer.Events.ReadAsync(timeout.Token) is var e ? $"{e.Type} {e.Object.Metadata.Name}" : "");
        return seen;
    }

    [Fact]
    public async Task It_lists_then_follows_additions_changes_and_deletions()
    {
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("a", "10.1.0.1", null));
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("b", "10.1.0.2", null));
        var informer = StartPodInformer();
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        Assert.Equal(["a", "b"], Names(informer));
        Assert.Equal(["Added a", "Added b"], await Drain(informer, 2));
        await Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Pods) == 1, Wait, "the watch to open");

        _server.Put(KubeObjects.Pods, KubeObjects.Pod("c", "10.1.0.3", null));
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("a", "10.1.0.9", null));
        _server.Delete(KubeObjects.Pods, "default", "b");

        Assert.Equal(["Added c", "Modified a", "Deleted b"], await Drain(informer, 3));
        Assert.Equal(["a", "c"], Names(informer));
        Assert.Equal("10.1.0.9", informer.Snapshot().Single(p => p.Metadata.Name == "a").Status.PodIP);
        Assert.Equal(_server.CurrentVersion.ToString(), informer.ResourceVersion);
    }

    [Theory]
    [InlineData(false)] // ERROR event with a 410 Status in the stream, as kube-apiserver does
    [InlineData(true)]  // HTTP 410 on the watch request
    public async Task After_410_gone_it_lists_again_and_reports_what_changed_meanwhile(bool goneAsHttpStatus)
    {
        _server.GoneAsHttpStatus = goneAsHttpStatus;
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("a", "10.1.0.1", null));
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("b", "10.1.0.2", null));
        var informer = StartPodInformer();
        await Drain(informer, 2);
        await Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Pods) == 1, Wait, "the watch to open");

        // While the agent is disconnected the history it would resume from is compacted away.
        _server.CompactHistory();
        _server.DropWatches();
        _server.Delete(KubeObjects.Pods, "default", "a");
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("b", "10.1.0.7", null));
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("c", "10.1.0.3", null));
        _server.CompactHistory();

        Assert.Equal(["Deleted a", "Modified b", "Added c"], await Drain(informer, 3));
        Assert.Equal(["b", "c"], Names(informer));
        Assert.Equal(2, informer.ListCount);
    }

    [Fact]
    public async Task When_the_server_drops_the_stream_it_watches_again_from_where_it_was_without_listing()
    {
        var informer = StartPodInformer();
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        await Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Pods) == 1, Wait, "the watch to open");

        _server.DropWatches();
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("late", "10.1.0.4", null));

        Assert.Equal(["Added late"], await Drain(informer, 1));
        Assert.Equal(1, informer.ListCount);
        Assert.True(informer.WatchCount >= 2, $"watches: {informer.WatchCount}");
    }

    [Fact]
    public async Task An_event_whose_object_has_no_name_is_ignored_and_the_watch_goes_on()
    {
        // Found by the kube-watch fuzz target (tests/fuzz): such an event used to stop the informer for good.
        var informer = StartPodInformer();
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        await Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Pods) == 1, Wait, "the watch to open");

        _server.SendRawLine(KubeObjects.Pods, """{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1"}}""");
        _server.SendRawLine(KubeObjects.Pods, """{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"namespace":"default"}}}""");
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("after", "10.1.0.5", null));

        Assert.Equal(["Added after"], await Drain(informer, 1));
        Assert.Equal(["after"], Names(informer));
        Assert.False(_running.IsFaulted);
    }

    [Fact]
    public async Task An_event_the_client_library_cannot_read_ends_that_watch_and_the_next_one_goes_on()
    {
        // The kube-watch fuzz target's other finding: KubernetesJson throws FormatException on a bad RFC 3339 date.
        var informer = StartPodInformer();
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        await Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Pods) == 1, Wait, "the watch to open");

        _server.SendRawLine(KubeObjects.Pods, """{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"bad","namespace":"default","creationTimestamp":"2026-12-T10:00:00Z"}}}""");
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("after", "10.1.0.5", null));

        Assert.Equal(["Added after"], await Drain(informer, 1));
        Assert.Equal(["after"], Names(informer));
        Assert.False(_running.IsFaulted);
    }

    private KubeInformer<V1Service, V1ServiceList> StartServiceInformer()
    {
        var informer = new KubeInformer<V1Service, V1ServiceList>(_client, KubeResources.Services, null,
            new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(400) }, NullLogger.Instance);
        _running = informer.RunAsync(_stop.Token);
        return informer;
    }

    /// <summary>A Service whose targetPort is this JSON (neither a number nor a name) instead of 80.</summary>
    private static string ServiceWithTargetPort(string name, string targetPort)
    {
        var service = KubeObjects.Service(name, "10.96.0.66", ("http", "TCP", 80)).Replace("\"targetPort\":80", $"\"targetPort\":{targetPort}");
        Assert.Contains(targetPort, service);
        return service;
    }

    // KubernetesClient's int-or-string converter throws NotSupportedException on any other JSON type. kube-watch found it
    // (session 11, 52 149 executions: an array); tests/fuzz/Regressions/kube-watch/service-targetport-array.
    [Theory]
    [InlineData("[\"10.96.0.20\"]")]
    [InlineData("{\"port\":8080}")]
    [InlineData("true")]
    public async Task A_listed_Service_whose_targetPort_is_neither_a_number_nor_a_name_is_retried_until_it_is_fixed(string targetPort)
    {
        // In a list the converter's exception comes out of the client call itself: it used to end the informer for good.
        _server.Put(KubeObjects.Services, ServiceWithTargetPort("bad", targetPort));
        _server.Put(KubeObjects.Services, KubeObjects.Service("web", "10.96.0.67", ("http", "TCP", 80)));
        var informer = StartServiceInformer();
        await Eventually.UntilAsync(() => informer.LastError is not null || _running.IsCompleted, Wait, "the failed list to be reported");
        Assert.False(_running.IsFaulted, _running.Exception?.ToString());
        Assert.False(informer.HasSynced);
        var lists = _server.Requests("list", KubeObjects.Services);
        await Eventually.UntilAsync(() => _server.Requests("list", KubeObjects.Services) > lists, Wait, "a retry");

        _server.Put(KubeObjects.Services, KubeObjects.Service("bad", "10.96.0.66", ("http", "TCP", 80)));
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        Assert.Equal(["bad", "web"], informer.Snapshot().Select(s => s.Metadata.Name).Order());
        Assert.Null(informer.LastError);
    }

    [Theory]
    [InlineData("[\"10.96.0.20\"]")]
    [InlineData("{\"port\":8080}")]
    [InlineData("true")]
    public async Task A_watched_Service_whose_targetPort_is_neither_a_number_nor_a_name_ends_that_watch_and_the_next_one_goes_on(string targetPort)
    {
        // In a watch the library hands the converter's exception to onError (the informer's IOException): a guard.
        var informer = StartServiceInformer();
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        await Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Services) == 1, Wait, "the watch to open");

        _server.SendRawLine(KubeObjects.Services, $$"""{"type":"ADDED","object":{{ServiceWithTargetPort("bad", targetPort)}}}""");
        _server.Put(KubeObjects.Services, KubeObjects.Service("after", "10.96.0.67", ("http", "TCP", 80)));

        using var timeout = new CancellationTokenSource(Wait);
        var added = await informer.Events.ReadAsync(timeout.Token);
        Assert.Equal((InformerEventType.Added, "after"), (added.Type, added.Object.Metadata.Name));
        Assert.Equal(["after"], informer.Snapshot().Select(s => s.Metadata.Name));
        Assert.False(_running.IsFaulted);
    }

    [Fact]
    public async Task A_bookmark_moves_the_resume_point_so_a_reconnect_needs_no_relist()
    {
        var informer = StartPodInformer();
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        await Eventually.UntilAsync(() => _server.OpenWatches(KubeObjects.Pods) == 1, Wait, "the watch to open");
        var listed = informer.ResourceVersion;

        // Changes elsewhere (another namespace) move the cluster's version; the bookmark tells us.
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("elsewhere", "10.2.0.1", null).Replace("\"namespace\":\"default\"", "\"namespace\":\"other\""));
        _server.SendBookmark(KubeObjects.Pods, "Pod");
        await Eventually.UntilAsync(() => informer.ResourceVersion == _server.CurrentVersion.ToString(), Wait, "the bookmark's version");
        _server.CompactHistory();
        _server.DropWatches();
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("after", "10.1.0.5", null));

        Assert.Equal(["Added after"], await Drain(informer, 1));
        Assert.NotEqual(listed, informer.ResourceVersion);
        Assert.Equal(1, informer.ListCount);
    }

    [Fact]
    public async Task A_rejected_token_is_reported_with_the_hint_and_retried_until_it_works()
    {
        var good = _server.Token;
        _server.Token = "rotated-elsewhere";
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("a", "10.1.0.1", null));
        var informer = StartPodInformer();

        await Eventually.UntilAsync(() => informer.LastError is not null, Wait, "the 401 to be reported");
        Assert.Contains("401 Unauthorized", informer.LastError);
        Assert.Contains("ServiceAccount token", informer.LastError);
        Assert.False(informer.HasSynced);
        var attempts = _server.Requests("list", KubeObjects.Pods);
        await Eventually.UntilAsync(() => _server.Requests("list", KubeObjects.Pods) > attempts, Wait, "a retry");

        _server.Token = good;
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);
        Assert.Equal(["a"], Names(informer));
        Assert.Null(informer.LastError);
    }

    [Fact]
    public async Task A_watch_left_silent_past_its_timeout_is_given_up_and_opened_again()
    {
        _server.IgnoreWatchTimeout = true;
        var informer = StartPodInformer(new InformerOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(50), WatchTimeout = TimeSpan.FromSeconds(1), WatchGrace = TimeSpan.FromMilliseconds(500),
        });
        await informer.WaitForSyncAsync(new CancellationTokenSource(Wait).Token);

        await Eventually.UntilAsync(() => _server.Requests("watch", KubeObjects.Pods) >= 2, Wait, "a second watch");
        Assert.Contains("past its 1 s timeout", informer.LastError);
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("seen", "10.1.0.8", null));
        Assert.Equal(["Added seen"], await Drain(informer, 1));
        Assert.Equal(1, informer.ListCount);
    }
}
