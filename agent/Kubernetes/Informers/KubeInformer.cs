using System.Net.Http;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Kubernetes.Informers;

/// <summary>
/// Keeps a local copy of one resource: list, then watch from the list's resourceVersion (bookmarks move it on);
/// 410 Gone → list again and report the difference; a dropped stream → watch again from the last version;
/// errors → retry after capped exponential backoff with jitter. Changes go to <see cref="Events"/>; the cache is
/// readable any time with <see cref="Snapshot"/>. The event queue is unbounded: its owner must drain it.
/// Lists and watches go through KubernetesClient; its quirks are handled here: list paging is ours, a 410 during a
/// watch arrives through the watch's onError callback, and a watch the server ends before any event throws
/// HttpRequestException (a normal end).
/// </summary>
public sealed class KubeInformer<T, TList>
    where T : class, IKubernetesObject<V1ObjectMeta>
    where TList : class, IItems<T>, IMetadata<V1ListMeta>
{
    private const int PageSize = 500;
    /// <summary>One list page must come within this; watches have their own bound (timeout + grace).</summary>
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(60);
    private readonly IKubernetes _client;
    private readonly KubeResource<T, TList> _resource;
    private readonly string? _namespace;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, T> _cache = new();
    private readonly Lock _gate = new();
    private readonly Channel<InformerEvent<T>> _events = Channel.CreateUnbounded<InformerEvent<T>>(new() { SingleWriter = true });
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lists;
    private long _watches;

    public KubeInformer(IKubernetes client, KubeResource<T, TList> resource, string? @namespace, InformerOptions options, ILogger logger)
    {
        _client = client;
        _resource = resource;
        _namespace = @namespace;
        _options = options;
        _logger = logger;
    }

    public ChannelReader<InformerEvent<T>> Events => _events.Reader;
    public bool HasSynced => _synced.Task.IsCompleted;
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);
    public long ListCount => Interlocked.Read(ref _lists);
    public long WatchCount => Interlocked.Read(ref _watches);
    /// <summary>The last version seen (list, event or bookmark).</summary>
    public string? ResourceVersion { get; private set; }
    /// <summary>The last failure, for health reporting; null after a successful list or watch.</summary>
    public string? LastError { get; private set; }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate) return [.. _cache.Values];
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_options.InitialBackoff, _options.MaxBackoff);
        var mustList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (mustList)
                {
                    await RelistAsync(cancellationToken);
                    mustList = false;
                    backoff.Reset();
                }
                await WatchAsync(backoff, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                _logger.LogInformation("Kubernetes {Resource}: resourceVersion {Version} expired, listing again", _resource.RbacName, ResourceVersion);
                mustList = true;
            }
            // NotSupportedException: KubernetesClient's int-or-string converter on a value of another JSON type (fuzz, kube-watch).
            catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException or System.Text.Json.JsonException
                                           or NotSupportedException or KubernetesException or OperationCanceledException)
            {
                // A dropped stream resumes from the last version seen (ResourceVersion), not from the list's.
                LastError = e.Message;
                var delay = backoff.NextDelay();
                if (e is KubeApiException { IsAuthProblem: true })
                    _logger.LogError("{Message}; retrying in {Delay:0.0} s", e.Message, delay.TotalSeconds);
                else
                    _logger.LogWarning("Kubernetes {Resource}: {Message}; retrying in {Delay:0.0} s", _resource.RbacName, e.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        _events.Writer.TryComplete();
    }

    private async Task RelistAsync(CancellationToken cancellationToken)
    {
        var (items, resourceVersion) = await ListAllAsync(cancellationToken);
        Interlocked.Increment(ref _lists);
        var fresh = items.ToDictionary(Key);
        lock (_gate)
        {
            foreach (var (key, old) in _cache.Where(e => !fresh.ContainsKey(e.Key)).ToList())
            {
                _cache.Remove(key);
                _events.Writer.TryWrite(new(InformerEventType.Deleted, old));
            }
            foreach (var (key, item) in fresh)
            {
                if (_cache.TryGetValue(key, out var old) && old.Metadata.ResourceVersion == item.Metadata.ResourceVersion) continue;
                _events.Writer.TryWrite(new(_cache.ContainsKey(key) ? InformerEventType.Modified : InformerEventType.Added, item));
                _cache[key] = item;
            }
        }
        LastError = null;
        ResourceVersion = resourceVersion ?? "0";
        _synced.TrySetResult();
    }

    /// <summary>Every item (following `continue` pages) and the list's resourceVersion.</summary>
    private async Task<(List<T> Items, string? ResourceVersion)> ListAllAsync(CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? next = null;
        string? version;
        do
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(ListTimeout);
            TList page;
            try
            {
                using var response = await _resource.List(_client, new ListRequest(_namespace, false, next, PageSize, null, null), deadline.Token);
                page = response.Body ?? throw new KubeApiException(200, $"Kubernetes API sent an empty {_resource.RbacName} list");
            }
            catch (HttpOperationException e)
            {
                throw KubeApiException.From(e, "list", _resource.RbacName, _namespace);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"list {_resource.RbacName}: no answer in {ListTimeout.TotalSeconds:0} s");
            }
            items.AddRange(page.Items ?? []);
            version = page.Metadata?.ResourceVersion;
            next = string.IsNullOrEmpty(page.Metadata?.ContinueProperty) ? null : page.Metadata.ContinueProperty;
        } while (next is not null);
        return (items, version);
    }

    private async Task WatchAsync(Backoff backoff, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watches);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.WatchTimeout + _options.WatchGrace);
        var request = new ListRequest(_namespace, true, null, null, ResourceVersion, (int)Math.Max(1, _options.WatchTimeout.TotalSeconds));
        // The server's ERROR events (410 Gone above all) and undecodable lines come here, not as exceptions.
        Exception? streamError = null;
        try
        {
            // The extension KubernetesClient marks obsolete in favour of per-resource WatchList…Async methods: it keeps
            // one call per resource for list and watch, and types custom objects (WatchList…CustomObject yields object).
#pragma warning disable CS0618
            var events = _resource.List(_client, request, deadline.Token).WatchAsync<T, TList>(e => streamError ??= e, deadline.Token);
#pragma warning restore CS0618
            await foreach (var (type, item) in events)
            {
                if (streamError is not null) break;
                Apply(type, item, backoff);
            }
        }
        catch (HttpOperationException e)
        {
            throw KubeApiException.From(e, "watch", _resource.RbacName, _namespace);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"watch still open {_options.WatchGrace.TotalSeconds:0.#} s past its {_options.WatchTimeout.TotalSeconds:0.#} s timeout; opening a new one");
        }
        catch (HttpRequestException e) when (EndedWithoutEvent(e))
        {
            // KubernetesClient reads the first line before it hands the stream over: a watch the server ends with
            // no event at all (its timeoutSeconds on a quiet collection) throws here. A normal end.
        }
        switch (streamError)
        {
            case KubernetesException { Status: var status }:
                throw KubeApiException.From(status, "watch", _resource.RbacName, _namespace);
            case { } other:
                throw new IOException($"watch {_resource.RbacName}: {other.Message}", other);
        }
        // The server ended the watch (its timeoutSeconds): the loop watches again from ResourceVersion.
    }

    /// <summary>
    /// KubernetesClient reads the first line inside HttpContent's buffering, which wraps the stream's end as
    /// HttpRequestException("Error while copying content to a stream.") around an IOException.
    /// </summary>
    private static bool EndedWithoutEvent(HttpRequestException e) => e.InnerException is IOException;

    private void Apply(WatchEventType type, T item, Backoff backoff)
    {
        LastError = null;
        backoff.Reset();
        if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted && item?.Metadata?.Name is not { Length: > 0 })
        {
            // Found by fuzzing (kube-watch): an object without metadata.name has no cache key and would stop the
            // informer with a NullReferenceException; the API server never sends one, a broken proxy might.
            _logger.LogWarning("Kubernetes {Resource}: ignoring a {Type} event whose object has no metadata.name", _resource.RbacName, type);
            return;
        }
        if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
        {
            lock (_gate)
            {
                if (type == WatchEventType.Deleted) _cache.Remove(Key(item));
                else _cache[Key(item)] = item;
            }
            _events.Writer.TryWrite(new(type switch
            {
                WatchEventType.Added => InformerEventType.Added,
                WatchEventType.Modified => InformerEventType.Modified,
                _ => InformerEventType.Deleted,
            }, item));
        }
        // A bookmark carries only metadata.resourceVersion: where to resume from.
        if (item?.Metadata?.ResourceVersion is { Length: > 0 } next) ResourceVersion = next;
    }

    private static string Key(T item) => $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";
}
