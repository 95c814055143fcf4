using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using AppSwitch.Agent.Kubernetes.Connection;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// A stand-in for kube-apiserver (Kestrel, HTTPS on 127.0.0.1, random port) that speaks real Kubernetes JSON:
/// paged lists with resourceVersion, chunked watch streams of ADDED/MODIFIED/DELETED/BOOKMARK lines,
/// 410 Gone for compacted versions (an ERROR event like the real server, or HTTP 410), 401 for a wrong bearer
/// token, 403 for resources the test forbids. Objects are stored per collection (`/api/v1/pods`,
/// `/apis/apps/v1/replicasets`) and may be read namespaced or across namespaces.
/// </summary>
public sealed partial class FakeKubeApiServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _collections = new();
    private readonly List<StoredEvent> _history = new();
    private readonly List<Watcher> _watchers = new();
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private readonly List<(string Key, string Token)> _tokens = [];
    private readonly HashSet<string> _forbidden = new();
    private readonly TestCertificates _certificates;
    private readonly WebApplication _app;
    private long _version = 100;
    private long _compactedBelow;

    private FakeKubeApiServer(TestCertificates certificates, WebApplication app)
    {
        _certificates = certificates;
        _app = app;
    }

    public Uri Url { get; private set; } = null!;
    public string AuthorityPem => _certificates.AuthorityPem;
    /// <summary>The only bearer token accepted; change it to simulate a rotated or revoked token.</summary>
    public string Token { get; set; } = "fake-token";
    /// <summary>How an expired resourceVersion is answered: an ERROR event in a 200 stream (real servers), or HTTP 410.</summary>
    public bool GoneAsHttpStatus { get; set; }
    /// <summary>Items per list page at most (the client's own limit applies when smaller).</summary>
    public int MaxPageSize { get; set; } = int.MaxValue;
    public long CurrentVersion => Interlocked.Read(ref _version);
    /// <summary>Keeps watch streams open past their timeoutSeconds, silent, like a server that vanished without closing.</summary>
    public bool IgnoreWatchTimeout { get; set; }

    /// <param name="unixSocket">
    /// Also serve HTTPS on this Unix socket: agents in test namespaces reach it through a forwarder on their own
    /// loopback (a namespace cannot reach the test's 127.0.0.1, but every namespace sees the file system).
    /// </param>
    public static async Task<FakeKubeApiServer> StartAsync(string? unixSocket = null)
    {
        var certificates = TestCertificates.Create();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration()
            .ConfigureKestrel(k =>
            {
                k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificates.Server));
                if (unixSocket is not null) k.ListenUnixSocket(unixSocket, listen => listen.UseHttps(certificates.Server));
            });
        var app = builder.Build();
        var server = new FakeKubeApiServer(certificates, app);
        app.Run(server.CountedAsync);
        await app.StartAsync();
        server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.StartsWith("https://127.0.0.1", StringComparison.Ordinal)));
        return server;
    }

    /// <summary>Settings that reach this server: its CA (or another one's PEM), its token (or another).</summary>
    public KubeConnection Connection(string? token = null, string? authorityPem = null)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(authorityPem ?? AuthorityPem);
        return new KubeConnection(new KubernetesClientConfiguration { Host = Url.ToString(), AccessToken = token ?? Token, SslCaCerts = roots }, "test");
    }

    /// <summary>Creates or replaces an object (Kubernetes JSON); returns its new resourceVersion.</summary>
    public long Put(string collection, string json)
    {
        var item = JsonNode.Parse(json)!.AsObject();
        lock (_gate)
        {
            var items = Collection(collection);
            var key = Key(item);
            var type = items.ContainsKey(key) ? "MODIFIED" : "ADDED";
            var version = ++_version;
            item["metadata"]!["resourceVersion"] = version.ToString();
            items[key] = item;
            Publish(new StoredEvent(collection, version, type, item.DeepClone().AsObject()));
            return version;
        }
    }

    public void Delete(string collection, string @namespace, string name)
    {
        lock (_gate)
        {
            var items = Collection(collection);
            if (!items.Remove($"{@namespace}/{name}", out var item)) throw new InvalidOperationException($"{collection} {@namespace}/{name} not stored");
            var version = ++_version;
            item["metadata"]!["resourceVersion"] = version.ToString();
            Publish(new StoredEvent(collection, version, "DELETED", item));
        }
    }

    /// <summary>Forgets the event history (as etcd compaction does): watches from older versions get 410 Gone.</summary>
    public void CompactHistory()
    {
        lock (_gate)
        {
            _compactedBelow = _version;
            _history.Clear();
        }
    }

    /// <summary>Sends a BOOKMARK carrying the current version to every open watch of the collection that asked for bookmarks.</summary>
    public void SendBookmark(string collection, string kind)
    {
        lock (_gate)
        {
            var line = new JsonObject
            {
                ["type"] = "BOOKMARK",
                ["object"] = new JsonObject { ["kind"] = kind, ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString() } },
            }.ToJsonString();
            foreach (var watcher in _watchers.Where(w => w.Collection == collection && w.Bookmarks)) watcher.Lines.Writer.TryWrite(line);
        }
    }

    /// <summary>Writes one line as it is (a malformed event a broken proxy could send) to every open watch of the collection.</summary>
    public void SendRawLine(string collection, string line)
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers.Where(w => w.Collection == collection)) watcher.Lines.Writer.TryWrite(line);
        }
    }

    /// <summary>Cuts every open watch stream without a proper end (a restarting API server, a broken connection).</summary>
    public void DropWatches()
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers) watcher.Context.Abort();
        }
    }

    public void Forbid(string collection)
    {
        lock (_gate) _forbidden.Add(collection);
    }

    /// <summary>Undoes <see cref="Forbid"/>: the RBAC rule was fixed.</summary>
    public void Allow(string collection)
    {
        lock (_gate) _forbidden.Remove(collection);
    }

    public int OpenWatches(string collection)
    {
        lock (_gate) return _watchers.Count(w => w.Collection == collection);
    }

    /// <summary>How many list (or watch) requests reached a collection: `list /api/v1/pods`, `watch /api/v1/pods`.</summary>
    public int Requests(string verb, string collection) => _requests.GetValueOrDefault($"{verb} {collection}");

    /// <summary>The bearer tokens list (or watch) requests of a collection carried, in order ("" without one).</summary>
    public IReadOnlyList<string> Tokens(string verb, string collection)
    {
        lock (_gate) return [.. _tokens.Where(t => t.Key == $"{verb} {collection}").Select(t => t.Token)];
    }

    /// <summary>An object as stored now (a copy), or null.</summary>
    public JsonObject? Get(string collection, string @namespace, string name)
    {
        lock (_gate) return Collection(collection).GetValueOrDefault($"{@namespace}/{name}")?.DeepClone().AsObject();
    }

    /// <summary>
    /// PATCH (JSON merge patch of `status`) or PUT (the whole object; only its status is taken) of an object's
    /// `/status` subresource, as for a CRD with `subresources: status`: the spec never changes this way.
    /// </summary>
    private async Task UpdateStatusAsync(HttpContext context, string collection, string @namespace, string name)
    {
        _requests.AddOrUpdate($"{context.Request.Method.ToLowerInvariant()} {collection}/status", 1, (_, n) => n + 1);
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            await WriteStatus(context, 401, "Unauthorized", "Unauthorized");
            return;
        }
        JsonObject? body;
        try { body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())?.AsObject(); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { body = null; }
        if (body?["status"] is not JsonObject status)
        {
            await WriteStatus(context, 400, "BadRequest", "the body must be a JSON object with a status object");
            return;
        }
        JsonObject answer;
        lock (_gate)
        {
            var items = Collection(collection);
            if (!items.TryGetValue($"{@namespace}/{name}", out var item))
            {
                answer = JsonNode.Parse(StatusJson(404, "NotFound", $"{collection} \"{name}\" not found"))!.AsObject();
            }
            else
            {
                var merged = context.Request.Method == "PUT" ? new JsonObject() : item["status"] as JsonObject ?? new JsonObject();
                foreach (var (key, value) in status)
                    if (value is null) merged.Remove(key); else merged[key] = value.DeepClone();
                item["status"] = merged.DeepClone();
                var version = ++_version;
                item["metadata"]!["resourceVersion"] = version.ToString();
                Publish(new StoredEvent(collection, version, "MODIFIED", item.DeepClone().AsObject()));
                answer = item.DeepClone().AsObject();
            }
        }
        context.Response.StatusCode = answer["kind"]?.GetValue<string>() == "Status" ? 404 : 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (await TryServeKubectlAsync(context)) return;
        var status = StatusPath().Match(context.Request.Path.Value ?? "");
        if (status.Success && context.Request.Method is "PATCH" or "PUT")
        {
            await UpdateStatusAsync(context, $"{status.Groups["root"].Value}/{status.Groups["plural"].Value}",
                status.Groups["ns"].Value, status.Groups["name"].Value);
            return;
        }
        var match = CollectionPath().Match(context.Request.Path.Value ?? "");
        if (!match.Success || context.Request.Method != "GET")
        {
            await WriteStatus(context, 404, "NotFound", $"the server could not find the requested resource ({context.Request.Path})");
            return;
        }
        var collection = $"{match.Groups["root"].Value}/{match.Groups["plural"].Value}";
        var @namespace = match.Groups["ns"].Success ? match.Groups["ns"].Value : null;
        var watch = context.Request.Query["watch"] is [("1" or "true")];
        var verb = watch ? "watch" : "list";
        _requests.AddOrUpdate($"{verb} {collection}", 1, (_, n) => n + 1);
        var authorization = context.Request.Headers.Authorization.ToString();
        lock (_gate) _tokens.Add(($"{verb} {collection}", authorization.StartsWith("Bearer ") ? authorization[7..] : ""));

        if (context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            await WriteStatus(context, 401, "Unauthorized", "Unauthorized");
            return;
        }
        bool forbidden;
        lock (_gate) forbidden = _forbidden.Contains(collection);
        if (forbidden)
        {
            var plural = match.Groups["plural"].Value;
            await WriteStatus(context, 403, "Forbidden",
                $"{plural} is forbidden: User \"system:serviceaccount:kube-system:appswitch\" cannot {verb} resource \"{plural}\" in API group \"\"" +
                (@namespace is null ? " at the cluster scope" : $" in the namespace \"{@namespace}\""));
            return;
        }
        if (watch) await WatchAsync(context, collection, @namespace);
        else await ListAsync(context, collection, @namespace);
    }

    private async Task ListAsync(HttpContext context, string collection, string? @namespace)
    {
        var limit = int.TryParse(context.Request.Query["limit"], out var l) && l > 0 ? Math.Min(l, MaxPageSize) : MaxPageSize;
        var offset = int.TryParse(context.Request.Query["continue"], out var o) ? o : 0;
        JsonArray items;
        string more;
        long version;
        lock (_gate)
        {
            var all = Collection(collection).Values.Where(i => InNamespace(i, @namespace)).OrderBy(Key).ToList();
            items = new JsonArray([.. all.Skip(offset).Take(limit).Select(i => (JsonNode)i.DeepClone())]);
            more = offset + limit < all.Count ? (offset + limit).ToString() : "";
            version = _version;
        }
        var list = new JsonObject
        {
            ["kind"] = "List",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(), ["continue"] = more },
            ["items"] = items,
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(list.ToJsonString());
    }

    private async Task WatchAsync(HttpContext context, string collection, string? @namespace)
    {
        var from = long.TryParse(context.Request.Query["resourceVersion"], out var v) ? v : 0;
        var timeout = int.TryParse(context.Request.Query["timeoutSeconds"], out var t) ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        var watcher = new Watcher(collection, @namespace, context, context.Request.Query["allowWatchBookmarks"] is ["true"]);
        bool gone;
        lock (_gate)
        {
            gone = from < _compactedBelow;
            if (!gone)
            {
                foreach (var stored in _history.Where(e => e.Collection == collection && e.Version > from)) watcher.Offer(stored);
                _watchers.Add(watcher);
            }
        }
        if (gone && GoneAsHttpStatus)
        {
            await WriteStatus(context, 410, "Expired", $"too old resource version: {from} ({_compactedBelow})");
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync();
        if (gone)
        {
            var status = StatusJson(410, "Expired", $"too old resource version: {from} ({_compactedBelow})");
            await context.Response.WriteAsync("{\"type\":\"ERROR\",\"object\":" + status + "}\n");
            return;
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (!IgnoreWatchTimeout) deadline.CancelAfter(timeout);
        try
        {
            await foreach (var line in watcher.Lines.Reader.ReadAllAsync(deadline.Token))
            {
                await context.Response.WriteAsync(line + "\n", deadline.Token);
                await context.Response.Body.FlushAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout: end the stream cleanly, as the server does at timeoutSeconds. Abort: nothing to answer.
        }
        finally
        {
            lock (_gate) _watchers.Remove(watcher);
        }
    }

    private void Publish(StoredEvent stored)
    {
        _history.Add(stored);
        foreach (var watcher in _watchers.Where(w => w.Collection == stored.Collection)) watcher.Offer(stored);
    }

    private Dictionary<string, JsonObject> Collection(string collection)
    {
        if (!_collections.TryGetValue(collection, out var items)) _collections[collection] = items = new();
        return items;
    }

    private static string Key(JsonObject item) => $"{item["metadata"]?["namespace"]}/{item["metadata"]!["name"]}";

    private static bool InNamespace(JsonObject item, string? @namespace) =>
        @namespace is null || (string?)item["metadata"]?["namespace"] == @namespace;

    private static string StatusJson(int code, string reason, string message) =>
        new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason, ["code"] = code,
        }.ToJsonString();

    private static async Task WriteStatus(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(StatusJson(code, reason, message), Encoding.UTF8);
    }

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificates.Dispose();
    }

    [GeneratedRegex("^(?<root>/api/v1|/apis/[^/]+/[^/]+)(/namespaces/(?<ns>[^/]+))?/(?<plural>[a-z]+)$")]
    private static partial Regex CollectionPath();

    [GeneratedRegex("^(?<root>/api/v1|/apis/[^/]+/[^/]+)/namespaces/(?<ns>[^/]+)/(?<plural>[a-z]+)/(?<name>[^/]+)/status$")]
    private static partial Regex StatusPath();

    private sealed record StoredEvent(string Collection, long Version, string Type, JsonObject Item);

    private sealed class Watcher(string collection, string? @namespace, HttpContext context, bool bookmarks)
    {
        public string Collection { get; } = collection;
        public HttpContext Context { get; } = context;
        public bool Bookmarks { get; } = bookmarks;
        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();

        public void Offer(StoredEvent stored)
        {
            if (InNamespace(stored.Item, @namespace))
                Lines.Writer.TryWrite(new JsonObject { ["type"] = stored.Type, ["object"] = stored.Item.DeepClone() }.ToJsonString());
        }
    }
}
