using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using AppSwitch.Agent.Routing;

namespace AppSwitch.Agent.L7;

/// <summary>
/// One app connection through the relay: reads requests one after another (keep-alive and pipelining come from
/// reading the next head from the same pipe), plans each with the destination's rules, streams it to the chosen
/// instance over a pooled upstream connection and streams the response back. Bodies are never held whole.
/// </summary>
internal sealed class HttpRelayConnection(HttpRelay relay, Socket socket, HttpRelayRoute route, RequestRouter router, UpstreamPool pool,
    ILogger logger)
{
    private const string Via = "1.1 appswitch";
    private readonly NetworkStream _client = new(socket, ownsSocket: true);
    // Writes to the app: a response head and a small body leave in one send (the body copier flushes per batch).
    private BufferedStream _toClient = null!;
    private PipeReader _reader = null!;

    public async Task RunAsync(CancellationToken stopping)
    {
        _reader = PipeReader.Create(_client, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        _toClient = new BufferedStream(_client, 16 * 1024);
        try
        {
            while (await RelayOneAsync(stopping)) { }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug("HTTP relay: app {AppId} to {Service}: connection ended: {Problem}", route.Client.Id, route.Service, e.Message);
        }
        catch (HttpRelayException e)
        {
            logger.LogInformation("HTTP relay: app {AppId} to {Service}: {Problem}; connection closed", route.Client.Id, route.Service, e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "HTTP relay: app {AppId} to {Service}: unexpected failure", route.Client.Id, route.Service);
        }
        finally
        {
            await _reader.CompleteAsync();
            await _client.DisposeAsync();
            relay.ConnectionEnded();
        }
    }

    /// <summary>Relays one request and its response; false when the connection is to be closed.</summary>
    private async Task<bool> RelayOneAsync(CancellationToken stopping)
    {
        var head = await HttpHeadReader.ReadAsync(_reader, request: true, stopping);
        switch (head.Status)
        {
            case HttpHeadReader.HeadStatus.End:
                return false;
            case HttpHeadReader.HeadStatus.TooLarge:
                logger.LogWarning("HTTP relay: app {AppId} to {Service}: request refused (431): {Problem}", route.Client.Id, route.Service, head.Problem);
                await RespondAsync(431, close: true, stopping);
                return false;
            case HttpHeadReader.HeadStatus.Malformed:
                logger.LogWarning("HTTP relay: app {AppId} to {Service}: request refused (400): {Problem}", route.Client.Id, route.Service, head.Problem);
                await RespondAsync(400, close: true, stopping);
                return false;
        }
        var request = head.Head!;
        relay.CountRequest();
        if (BodyFraming.ForRequest(request, out var framingProblem) is not { } framing)
        {
            logger.LogWarning("HTTP relay: app {AppId} to {Service}: request refused (400): {Problem}", route.Client.Id, route.Service, framingProblem);
            await RespondAsync(400, close: true, stopping);
            return false;
        }
        var keepAlive = request.RequestVersion == "HTTP/1.1" ? !request.HasToken("Connection", "close") : request.HasToken("Connection", "keep-alive");
        var expectsContinue = request.HasToken("Expect", "100-continue");

        var plan = router.Plan(route, request);
        foreach (var (key, value) in plan.Traces)
            logger.LogInformation("HTTP relay trace {Key}={Value}: app {AppId} {Method} {Target} to {Service}", key, value, route.Client.Id,
                request.Method, request.Target, route.Service);
        if (plan.Delay > TimeSpan.Zero) await DelayAtLeastAsync(plan.Delay, stopping);
        if (plan.AbortCode is not null || plan.Backend is null)
        {
            // The body was not read: with one on the way the connection cannot carry another request.
            var close = !keepAlive || framing.HasBody;
            await RespondAsync(plan.AbortCode ?? 503, close, stopping);
            return !close;
        }

        request.Second = plan.Target;
        request.RemoveHopByHop();
        request.Remove("Expect"); // answered here: the body streams on as soon as the app has its 100 Continue
        request.Fields.Add(new("Via", Via));
        var requestBytes = request.Encode();
        var backend = plan.Backend;
        // A retried request must be replayable: only bodiless requests of idempotent methods are.
        var retries = framing.HasBody || !IsIdempotent(request.Method) ? 0 : plan.Retries;
        var fresh = false;
        for (var attempt = 0; ; attempt++)
        {
            UpstreamConnection upstream;
            try
            {
                upstream = await pool.GetAsync(backend.Node, fresh, stopping);
            }
            catch (SocketException e)
            {
                logger.LogInformation("HTTP relay: {Service} instance {Backend}: connect failed ({Error}){Retry}", route.Service, backend.Node,
                    e.SocketErrorCode, attempt < retries ? "; retrying" : "");
                if (attempt < retries && router.Repick(route, plan.Route) is { } next) { backend = next; continue; }
                await RespondAsync(502, close: !keepAlive || framing.HasBody, stopping);
                return keepAlive && !framing.HasBody;
            }
            var outcome = await ExchangeAsync(upstream, requestBytes, request.Method, framing, expectsContinue, keepAlive, plan.Timeout,
                retryOn5xx: attempt < retries, stopping);
            if (outcome == Outcome.Reconnect)
            {
                // An idle pooled connection the instance had closed meanwhile: the same request on a new one.
                fresh = true;
                attempt--;
                continue;
            }
            fresh = false;
            if (outcome == Outcome.Retry)
            {
                logger.LogInformation("HTTP relay: {Service} instance {Backend} answered 5xx; retrying ({Attempt}/{Retries})", route.Service,
                    backend.Node, attempt + 1, retries);
                backend = router.Repick(route, plan.Route) ?? backend;
                continue;
            }
            return outcome == Outcome.KeepOpen;
        }
    }

    private enum Outcome { KeepOpen, Close, Retry, Reconnect }

    private async Task<Outcome> ExchangeAsync(UpstreamConnection upstream, byte[] requestHead, string method, BodyFraming framing,
        bool expectsContinue, bool keepAlive, TimeSpan? timeout, bool retryOn5xx, CancellationToken stopping)
    {
        var reusable = false;
        // Nothing of the request is lost if a pooled connection turns out closed before the body is sent.
        var canReconnect = upstream.Reused && !framing.HasBody;
        try
        {
            try
            {
                await upstream.Stream.WriteAsync(requestHead, stopping);
            }
            catch (IOException) when (canReconnect)
            {
                return Outcome.Reconnect;
            }
            if (framing.HasBody)
            {
                if (expectsContinue) await SendAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), stopping);
                await BodyCopier.CopyAsync(_reader, upstream.Stream, framing, stopping);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            if (timeout is { } limit) deadline.CancelAfter(limit);
            HttpHead response;
            while (true)
            {
                HttpHeadReader.Result head;
                try
                {
                    head = await HttpHeadReader.ReadAsync(upstream.Reader, request: false, deadline.Token);
                }
                catch (IOException e)
                {
                    if (canReconnect) return Outcome.Reconnect;
                    head = new HttpHeadReader.Result(HttpHeadReader.HeadStatus.Malformed, null, e.Message);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    logger.LogInformation("HTTP relay: {Service} instance {Backend}: no response within {Timeout} s (504)", route.Service,
                        upstream.Backend, timeout!.Value.TotalSeconds);
                    await RespondAsync(504, close: !keepAlive, stopping);
                    return keepAlive ? Outcome.KeepOpen : Outcome.Close;
                }
                if (head.Status == HttpHeadReader.HeadStatus.End && canReconnect) return Outcome.Reconnect;
                if (head.Status != HttpHeadReader.HeadStatus.Ok)
                {
                    logger.LogInformation("HTTP relay: {Service} instance {Backend}: bad or no response ({Problem}) (502)", route.Service,
                        upstream.Backend, head.Problem ?? "closed");
                    await RespondAsync(502, close: !keepAlive, stopping);
                    return keepAlive ? Outcome.KeepOpen : Outcome.Close;
                }
                response = head.Head!;
                if (response.StatusCode is >= 100 and < 200 && response.StatusCode != 101)
                {
                    if (response.StatusCode != 100) await SendAsync(response.Encode(), stopping); // 103 Early Hints and such
                    continue;
                }
                break;
            }
            if (BodyFraming.ForResponse(response, method, out var problem) is not { } responseFraming)
            {
                logger.LogInformation("HTTP relay: {Service} instance {Backend}: {Problem} (502)", route.Service, upstream.Backend, problem);
                await RespondAsync(502, close: true, stopping);
                return Outcome.Close;
            }
            if (retryOn5xx && response.StatusCode >= 500) return Outcome.Retry; // the connection is dropped with its unread body

            var upstreamKeepsOpen = response.ResponseVersion == "HTTP/1.1" ? !response.HasToken("Connection", "close")
                : response.HasToken("Connection", "keep-alive");
            var close = !keepAlive || responseFraming.Kind == BodyKind.UntilClose;
            response.RemoveHopByHop();
            response.First = "HTTP/1.1";
            if (close) response.Fields.Add(new("Connection", "close"));
            await _toClient.WriteAsync(response.Encode(), stopping);
            await BodyCopier.CopyAsync(upstream.Reader, _toClient, responseFraming, stopping);
            await _toClient.FlushAsync(stopping);
            reusable = upstreamKeepsOpen && responseFraming.Kind != BodyKind.UntilClose;
            return close ? Outcome.Close : Outcome.KeepOpen;
        }
        finally
        {
            if (reusable) await pool.ReturnAsync(upstream); // checked when taken: it may close while idle
            else await upstream.DisposeAsync();
        }
    }

    /// <summary>Task.Delay may wake a timer tick early; a rule's delay is a minimum.</summary>
    private static async Task DelayAtLeastAsync(TimeSpan delay, CancellationToken cancel)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) is var elapsed && elapsed < delay)
            await Task.Delay(delay - elapsed + TimeSpan.FromMilliseconds(1), cancel);
    }

    private static bool IsIdempotent(string method) => method is "GET" or "HEAD" or "OPTIONS" or "PUT" or "DELETE" or "TRACE";

    /// <summary>An answer of the relay's own (abort, refusal, gateway errors), with a one-line body naming the status.</summary>
    private async Task RespondAsync(int status, bool close, CancellationToken cancel)
    {
        var reason = Reason(status);
        var body = $"{status} {reason}\n";
        var text = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nVia: {Via}\r\n"
                   + (close ? "Connection: close\r\n" : "") + "\r\n" + body;
        await SendAsync(Encoding.Latin1.GetBytes(text), cancel);
    }

    private async Task SendAsync(byte[] bytes, CancellationToken cancel)
    {
        await _toClient.WriteAsync(bytes, cancel);
        await _toClient.FlushAsync(cancel);
    }

    private static string Reason(int status) => status switch
    {
        400 => "Bad Request", 403 => "Forbidden", 404 => "Not Found", 429 => "Too Many Requests",
        431 => "Request Header Fields Too Large", 500 => "Internal Server Error", 502 => "Bad Gateway",
        503 => "Service Unavailable", 504 => "Gateway Timeout",
        _ => status < 400 ? "OK" : "Error",
    };
}
