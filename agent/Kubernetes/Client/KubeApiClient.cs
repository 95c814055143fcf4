using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AppSwitch.Agent.Kubernetes.Config;
using AppSwitch.Agent.Kubernetes.Models;

namespace AppSwitch.Agent.Kubernetes.Client;

/// <summary>
/// A small typed Kubernetes API client: paged lists and line-delimited JSON watch streams.
/// Errors become <see cref="KubeApiException"/> (server said no) or propagate as HttpRequestException/IOException
/// (network), which the informer retries.
/// </summary>
public sealed class KubeApiClient : IDisposable
{
    private const int PageSize = 500;
    private readonly HttpClient _http;
    private readonly BearerToken _token;

    public KubeApiClient(KubeConnection connection)
    {
        Connection = connection;
        _token = new BearerToken(connection);
        // Watches run for minutes; per-request deadlines come from the caller's token instead.
        _http = new HttpClient(KubeHttpHandler.Create(connection)) { BaseAddress = connection.Server, Timeout = Timeout.InfiniteTimeSpan };
    }

    public KubeConnection Connection { get; }

    /// <summary>Lists every item (following `continue` pages) with the list's resourceVersion.</summary>
    public async Task<KubeList<T>> ListAsync<T>(KubeResource<T> resource, string? @namespace, CancellationToken cancellationToken)
        where T : class, IKubeObject
    {
        var items = new List<T>();
        string? next = null;
        KubeList<T> page;
        do
        {
            var query = $"?limit={PageSize}" + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
            using var response = await SendAsync(resource.CollectionPath(@namespace) + query, HttpCompletionOption.ResponseContentRead, cancellationToken);
            await ThrowIfFailed(response, "list", resource.RbacName, @namespace, cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            page = await JsonSerializer.DeserializeAsync(body, resource.ListType, cancellationToken)
                   ?? throw new KubeApiException(200, $"Kubernetes API sent an empty {resource.RbacName} list");
            items.AddRange(page.Items ?? []);
            next = string.IsNullOrEmpty(page.Metadata.Continue) ? null : page.Metadata.Continue;
        } while (next is not null);
        return new KubeList<T> { Metadata = page.Metadata with { Continue = null }, Items = items };
    }

    /// <summary>
    /// Watches from <paramref name="resourceVersion"/> with bookmarks; the sequence ends when the server closes the
    /// stream (its timeout). An ERROR event throws <see cref="KubeApiException"/> (410 Gone: list again).
    /// </summary>
    public async IAsyncEnumerable<KubeWatchEvent<T>> WatchAsync<T>(KubeResource<T> resource, string? @namespace, string resourceVersion,
        TimeSpan serverTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class, IKubeObject
    {
        var query = $"?watch=1&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}" +
                    $"&timeoutSeconds={(int)Math.Max(1, serverTimeout.TotalSeconds)}";
        using var response = await SendAsync(resource.CollectionPath(@namespace) + query, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await ThrowIfFailed(response, "watch", resource.RbacName, @namespace, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body);
        var itemType = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)KubeJsonContext.Default.GetTypeInfo(typeof(T))!;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0) continue;
            var record = JsonSerializer.Deserialize(line, KubeJsonContext.Default.WatchEventRecord)
                         ?? throw new KubeApiException(200, "Kubernetes API sent an empty watch event");
            switch (record.Type)
            {
                case "ERROR":
                    var status = record.Object.Deserialize(KubeJsonContext.Default.KubeStatus);
                    throw KubeApiException.From(status?.Code ?? 500, status?.Message, status?.Reason, "watch", resource.RbacName, @namespace);
                case "BOOKMARK":
                    yield return new KubeWatchEvent<T>(KubeWatchEventType.Bookmark, null, BookmarkVersion(record.Object));
                    break;
                case "ADDED" or "MODIFIED" or "DELETED":
                    var item = record.Object.Deserialize(itemType)!;
                    var type = record.Type switch
                    {
                        "ADDED" => KubeWatchEventType.Added,
                        "MODIFIED" => KubeWatchEventType.Modified,
                        _ => KubeWatchEventType.Deleted,
                    };
                    yield return new KubeWatchEvent<T>(type, item, item.Metadata.ResourceVersion);
                    break;
                // Unknown event types from a newer server are skipped rather than ending the watch.
            }
        }
    }

    /// <summary>
    /// Merge-patches an object's `status` subresource (`{"status": …}` as JSON text): the way a controller reports
    /// back without touching the spec. Needs the RBAC verb `patch` on `&lt;plural&gt;/status`.
    /// </summary>
    public async Task PatchStatusAsync<T>(KubeResource<T> resource, string @namespace, string name, string statusPatchJson,
        CancellationToken cancellationToken) where T : class, IKubeObject
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"{resource.CollectionPath(@namespace)}/{Uri.EscapeDataString(name)}/status")
        {
            Content = new StringContent(statusPatchJson, System.Text.Encoding.UTF8, "application/merge-patch+json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_token.Current() is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, cancellationToken);
        await ThrowIfFailed(response, "patch", resource.RbacName + "/status", @namespace, cancellationToken);
    }

    private static string? BookmarkVersion(JsonElement element) =>
        element.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("resourceVersion", out var version)
            ? version.GetString()
            : null;

    private async Task<HttpResponseMessage> SendAsync(string pathAndQuery, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_token.Current() is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, completion, cancellationToken);
    }

    private static async Task ThrowIfFailed(HttpResponseMessage response, string verb, string rbacName, string? @namespace, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        KubeStatus? status = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            status = JsonSerializer.Deserialize(text, KubeJsonContext.Default.KubeStatus);
        }
        catch (JsonException)
        {
            // Not a Status body (a proxy's HTML page): the HTTP status alone must do.
        }
        throw KubeApiException.From((int)response.StatusCode, status?.Message ?? response.ReasonPhrase, status?.Reason, verb, rbacName, @namespace);
    }

    public void Dispose() => _http.Dispose();
}
