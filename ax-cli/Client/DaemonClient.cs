using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AppSwitch.Common.Json;
using AppSwitch.Common.Paths;

namespace AppSwitch.Cli.Client;

/// <summary>
/// Talks HTTP/1.1 to the agent's admin API on &lt;admin-socket-dir&gt;/api.sock. Every failure becomes a
/// <see cref="CliException"/> with the one line the user should see.
/// </summary>
internal sealed class DaemonClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http;

    public DaemonClient(string adminSocketDir)
    {
        AdminSocketDir = adminSocketDir;
        SocketPath = AdminSocketDirectory.ApiSocket(adminSocketDir);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpClient(handler)
        {
            // The host name is never resolved: every connection goes to the Unix socket.
            BaseAddress = new Uri("http://appswitch/"),
            Timeout = Timeout,
            DefaultRequestVersion = HttpVersion.Version11,
        };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public string AdminSocketDir { get; }
    public string SocketPath { get; }

    public Task<List<T>> GetListAsync<T>(string path, JsonTypeInfo<List<T>> type, CancellationToken cancel = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/')), path, type, cancel);

    public Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancel = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/')), path, type, cancel);

    /// <summary>POSTs <paramref name="value"/> as JSON; the answer's body is read as <paramref name="answerType"/>.</summary>
    public Task<TAnswer> PostAsync<TBody, TAnswer>(string path, TBody value, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TAnswer> answerType,
        CancellationToken cancel = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, bodyType))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
            },
        }, path, answerType, cancel);

    public Task<TAnswer> DeleteAsync<TAnswer>(string path, JsonTypeInfo<TAnswer> answerType, CancellationToken cancel = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Delete, path.TrimStart('/')), path, answerType, cancel);

    private async Task<T> SendAsync<T>(HttpRequestMessage request, string path, JsonTypeInfo<T> type, CancellationToken cancel)
    {
        using var response = await SendAsync(request, path, cancel);
        await using var body = await response.Content.ReadAsStreamAsync(cancel);
        try
        {
            return await JsonSerializer.DeserializeAsync(body, type, cancel)
                   ?? throw new CliException($"unexpected answer from the daemon for {path}: null");
        }
        catch (JsonException e)
        {
            throw new CliException($"unexpected answer from the daemon for {path}: {e.Message}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string path, CancellationToken cancel)
    {
        HttpResponseMessage response;
        try
        {
            using (request) response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied })
        {
            throw new CliException($"permission denied on {SocketPath} (run as root or as a member of its group)");
        }
        catch (HttpRequestException) when (!Directory.Exists(AdminSocketDir))
        {
            // Inside a pod (it mounts only the socket directory) or a node without an agent.
            throw new CliException($"no AppSwitch admin socket at {SocketPath} (the admin API is served only on the node; " +
                                   $"use --admin-socket-dir or {AdminSocketDirectory.EnvironmentVariable} if the agent uses another directory)");
        }
        catch (HttpRequestException)
        {
            throw new CliException($"cannot reach the AppSwitch daemon at {SocketPath} (is `ax daemon` running?)");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new CliException($"the AppSwitch daemon at {SocketPath} did not answer within {Timeout.TotalSeconds:0} s");
        }

        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var error = await ErrorTextAsync(response, cancel);
            // A refused change (bad definition, name taken, not found) is the user's to fix: its reason is the whole line.
            // So is a refused caller (403: not root nor in the socket group), whatever the method.
            if ((request.Method != HttpMethod.Get && (int)response.StatusCode is >= 400 and < 500) || response.StatusCode == HttpStatusCode.Forbidden)
                throw new CliException(error);
            throw new CliException($"the daemon answered {(int)response.StatusCode} for {path}: {error}");
        }
    }

    private static async Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        var text = await response.Content.ReadAsStringAsync(cancel);
        try
        {
            if (JsonSerializer.Deserialize(text, ApiJsonContext.Default.ApiError) is { Error: { Length: > 0 } error }) return error;
        }
        catch (JsonException)
        {
            // Not our JSON error body: show the text itself.
        }
        return text.Length > 0 ? text.Trim() : response.ReasonPhrase ?? "no details";
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancel)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();
}
