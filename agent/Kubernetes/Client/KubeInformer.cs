using System.Threading.Channels;
using AppSwitch.Agent.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Kubernetes.Client;

/// <summary>
/// Keeps a local copy of one resource: list, then watch from the list's resourceVersion (bookmarks move it on);
/// 410 Gone → list again and report the difference; a dropped stream → watch again from the last version;
/// errors → retry after capped exponential backoff with jitter. Changes go to <see cref="Events"/>; the cache is
/// readable any time with <see cref="Snapshot"/>. The event queue is unbounded: its owner must drain it.
/// </summary>
public sealed class KubeInformer<T> where T : class, IKubeObject
{
    private readonly KubeApiClient _client;
    private readonly KubeResource<T> _resource;
    private readonly string? _namespace;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, T> _cache = new();
    private readonly Lock _gate = new();
    private readonly Channel<InformerEvent<T>> _events = Channel.CreateUnbounded<InformerEvent<T>>(new() { SingleWriter = true });
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lists;
    private long _watches;

    public KubeInformer(KubeApiClient client, KubeResource<T> resource, string? @namespace, InformerOptions options, ILogger logger)
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
            catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException or System.Text.Json.JsonException)
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
        var list = await _client.ListAsync(_resource, _namespace, cancellationToken);
        Interlocked.Increment(ref _lists);
        var fresh = (list.Items ?? []).ToDictionary(Key);
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
        ResourceVersion = list.Metadata.ResourceVersion ?? "0";
        _synced.TrySetResult();
    }

    private async Task WatchAsync(Backoff backoff, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watches);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.WatchTimeout + _options.WatchGrace);
        try
        {
            await foreach (var change in _client.WatchAsync(_resource, _namespace, ResourceVersion!, _options.WatchTimeout, deadline.Token))
                Apply(change, backoff);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"watch still open {_options.WatchGrace.TotalSeconds:0.#} s past its {_options.WatchTimeout.TotalSeconds:0.#} s timeout; opening a new one");
        }
        // The server ended the watch (its timeoutSeconds): the loop watches again from ResourceVersion.
    }

    private void Apply(KubeWatchEvent<T> change, Backoff backoff)
    {
        LastError = null;
        backoff.Reset();
        if (change.Object is { } item)
        {
            lock (_gate)
            {
                if (change.Type == KubeWatchEventType.Deleted) _cache.Remove(Key(item));
                else _cache[Key(item)] = item;
            }
            _events.Writer.TryWrite(new(change.Type switch
            {
                KubeWatchEventType.Added => InformerEventType.Added,
                KubeWatchEventType.Modified => InformerEventType.Modified,
                _ => InformerEventType.Deleted,
            }, item));
        }
        if (change.ResourceVersion is { Length: > 0 } next) ResourceVersion = next;
    }

    private static string Key(T item) => $"{item.Metadata.Namespace}/{item.Metadata.Name}";
}
