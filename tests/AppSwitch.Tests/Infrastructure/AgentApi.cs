using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AppSwitch.Common.Json;
using Xunit.Sdk;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// The agent's REST API on api.sock, as tests poll it: the records `ax get RESOURCE -o json` prints, read from
/// the same endpoint the CLI calls, without spawning `ip netns exec … ax get` on every poll. Tests of the CLI
/// itself run `ax get` (NodeShell.AxAsync).
/// </summary>
public static class AgentApi
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>GET /api/v1/RESOURCE (apps, servers, sockets, proxies, nodes, vservices: by <typeparamref name="T"/>) on <paramref name="apiSocket"/>.</summary>
    public static async Task<List<T>> ListAsync<T>(string apiSocket)
    {
        var path = $"/api/v1/{AxResources.NameOf<T>()}";
        string body;
        try
        {
            using var http = UnixSocketHttp.Create(apiSocket, RequestTimeout);
            using var response = await http.GetAsync(path);
            body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
                throw new XunitException($"GET {path} on {apiSocket} answered {(int)response.StatusCode}: {body}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            throw new XunitException($"GET {path} on {apiSocket} failed: {e.Message}");
        }
        var type = (JsonTypeInfo<List<T>>)ApiJsonContext.Default.GetTypeInfo(typeof(List<T>))!;
        try { return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("the answer is null"); }
        catch (JsonException e) { throw new XunitException($"GET {path} on {apiSocket}: not a list of {typeof(T).Name}: {e.Message}\n{body}"); }
    }
}
