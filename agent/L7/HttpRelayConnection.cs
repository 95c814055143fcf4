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
/// Every read and write runs under the relay's idle timeout; every failure is a <see cref="RelayFailureException"/>
/// handled in one place (<see cref="FailAsync"/>), which logs, counts and answers it as <see cref="RelayFailures"/> says.
/// </summary>
internal sealed class HttpRelayConnection(HttpRelay relay, Socket socket, HttpRelayHandoff handoff, RequestRouter router, UpstreamPool pool,
    ILogger<HttpRelayConnection> logger)
{
    private const string Via = "1.1 appswitch";
    private readonly NetworkStream _client = new(socket, ownsSocket: true);
    // Writes to the app: a response head and a small body leave in one send (the body copier flushes per batch).
    private BufferedStream _toClient = null!;
    private PipeReader _reader = null!;
    private IdleDeadline _idle = null!;
    // The request in progress: whether the connection could carry another one after a failure, and whether the app
    // has had the start of a final response (then no status can be sent any more).
    private bool _keepAlive;
    private bool _requestComplete;
    private bool _responseStarted;

    public async Task RunAsync(CancellationToken stopping)
    {
        _reader = PipeReader.Create(_client, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        _toClient = new BufferedStream(_client, 16 * 1024);
        _idle = new IdleDeadline(relay.IdleTimeout, stopping);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await RelayOneAsync(stopping);
                }
                catch (RelayFailureException failure)
                {
                    more = await FailAsync(failure);
                }
                if (!more) break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug("HTTP relay: app {AppId} to {Service}: connection ended: {Problem}", handoff.Client.Id, handoff.Service, e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "HTTP relay: app {AppId} to {Service}: unexpected failure", handoff.Client.Id, handoff.Service);
        }
        finally
        {
            _idle.Dispose();
            await _reader.CompleteAsync();
            await _client.DisposeAsync();
            relay.ConnectionEnded();
        }
    }

    /// <summary>
    /// The one error path: logs the failure with its side (and instance), counts it, answers its status while no
    /// response has started; true when the connection can carry the next request.
    /// </summary>
    private async Task<bool> FailAsync(RelayFailureException failure)
    {
        var kind = RelayFailures.Of(failure.Failure);
        var answer = _responseStarted ? null : kind.Status;
        var keep = answer is not null && kind.KeepsConnection && _keepAlive && _requestComplete;
        Report(failure, answer is { } status ? $"answered {status}{(keep ? "" : ", connection closed")}" : "connection closed");
        if (answer is null) return false;
        _idle.Renew(); // an expired deadline still leaves the app a full timeout to take the answer
        try
        {
            await RespondAsync(answer.Value, close: !keep);
        }
        catch (RelayFailureException) // the app is gone or does not read: nothing more to tell it
        {
            return false;
        }
        return keep;
    }

    /// <summary>Logs and counts a failure; <paramref name="outcome"/> says what the relay does about it.</summary>
    private void Report(RelayFailureException failure, string outcome)
    {
        var kind = RelayFailures.Of(failure.Failure);
        relay.Failures.Count(failure.Failure, failure.Instance);
        logger.Log(kind.Level, "HTTP relay: app {AppId} to {Service}: {Side} failed ({Failure}: {Text}: {Problem}) instance {Instance}; {Outcome}",
            handoff.Client.Id, handoff.Service, kind.Side == RelaySide.Client ? "client" : "upstream", kind.Name, kind.Text, failure.Message,
            failure.Instance?.ToString() ?? "-", outcome);
    }

    /// <summary>Relays one request and its response; false when the connection is to be closed.</summary>
    private async Task<bool> RelayOneAsync(CancellationToken stopping)
    {
        (_keepAlive, _requestComplete, _responseStarted) = (false, false, false);
        if (!await NextRequestArrivesAsync()) return false;
        var head = await RelayIo.StepAsync(_idle, RelayPeer.Client, token => HttpHeadReader.ReadAsync(_reader, request: true, token));
        switch (head.Status)
        {
            case HttpHeadReader.HeadStatus.End:
                return false;
            case HttpHeadReader.HeadStatus.TooLarge:
                throw new RelayFailureException(RelayFailure.ClientHeadTooLarge, head.Problem!);
            case HttpHeadReader.HeadStatus.Malformed:
                throw new RelayFailureException(RelayFailure.ClientHeadMalformed, head.Problem!);
        }
        var request = head.Head!;
        relay.CountRequest();
        if (BodyFraming.ForRequest(request, out var framingProblem) is not { } framing)
            throw new RelayFailureException(RelayFailure.ClientFramingInvalid, framingProblem!);
        _keepAlive = request.RequestVersion == "HTTP/1.1" ? !request.HasToken("Connection", "close") : request.HasToken("Connection", "keep-alive");
        // The body was not read yet: with one on the way the connection cannot carry another request until it is.
        _requestComplete = !framing.HasBody;
        var expectsContinue = request.HasToken("Expect", "100-continue");

        var plan = router.Plan(handoff, request);
        foreach (var (key, value) in plan.Traces)
            logger.LogInformation("HTTP relay trace {Key}={Value}: app {AppId} {Method} {Target} to {Service}", key, value, handoff.Client.Id,
                request.Method, request.Target, handoff.Service);
        if (plan.Delay > TimeSpan.Zero)
        {
            _idle.Pause(); // a delay longer than the idle timeout must not count against the next step
            await DelayAtLeastAsync(plan.Delay, stopping);
        }
        if (plan.AbortCode is { } abort)
        {
            var close = !_keepAlive || framing.HasBody;
            await RespondAsync(abort, close);
            return !close;
        }
        if (plan.Backend is null) throw new RelayFailureException(RelayFailure.NoInstance, $"no instance fits the route for {request.Method} {request.Target}");

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
                upstream = await pool.GetAsync(backend.Node, fresh, _idle.Waiting(RelaySide.Upstream));
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && _idle.Expired))
            {
                var problem = (e as SocketException)?.SocketErrorCode.ToString() ?? "connect timed out";
                var failure = new RelayFailureException(RelayFailure.UpstreamUnreachable, problem, backend.Node, e);
                if (attempt >= retries || router.Repick(handoff, plan.RouteRule) is not { } next) throw failure;
                Report(failure, $"retrying ({attempt + 1}/{retries})");
                _idle.Renew();
                backend = next;
                continue;
            }
            var outcome = await ExchangeAsync(upstream, requestBytes, request.Method, framing, expectsContinue, plan,
                retry: attempt < retries, stopping);
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
                logger.LogInformation("HTTP relay: {Service} instance {Backend} answered 5xx; retrying ({Attempt}/{Retries})", handoff.Service,
                    backend.Node, attempt + 1, retries);
                backend = router.Repick(handoff, plan.RouteRule) ?? backend;
                continue;
            }
            return outcome == Outcome.KeepOpen;
        }
    }

    /// <summary>
    /// Waits for the first byte of the next request: false when the app closed the connection; an app that sends
    /// nothing for the idle timeout is <see cref="RelayFailure.ClientIdle"/> (nothing is lost: no request began).
    /// </summary>
    private async Task<bool> NextRequestArrivesAsync()
    {
        ReadResult read;
        try
        {
            read = await _reader.ReadAsync(_idle.Waiting(RelaySide.Client));
        }
        catch (OperationCanceledException e) when (_idle.Expired)
        {
            throw new RelayFailureException(RelayFailure.ClientIdle, $"no request for {_idle.Timeout.TotalSeconds:0.###} s", inner: e);
        }
        // Nothing consumed or examined: the head reader sees the same bytes at once.
        _reader.AdvanceTo(read.Buffer.Start);
        return !(read.IsCompleted && read.Buffer.IsEmpty);
    }

    private enum Outcome { KeepOpen, Close, Retry, Reconnect }

    private async Task<Outcome> ExchangeAsync(UpstreamConnection upstream, byte[] requestHead, string method, BodyFraming framing,
        bool expectsContinue, RequestPlan plan, bool retry, CancellationToken stopping)
    {
        var reusable = false;
        var instance = RelayPeer.Upstream(upstream.Backend);
        // Nothing of the request is lost if a pooled connection turns out closed before the body is sent.
        var canReconnect = upstream.Reused && !framing.HasBody;
        try
        {
            try
            {
                await RelayIo.StepAsync(_idle, instance, token => upstream.Stream.WriteAsync(requestHead, token));
            }
            catch (RelayFailureException e) when (canReconnect && e.Failure == RelayFailure.UpstreamClosed)
            {
                return Outcome.Reconnect;
            }
            if (framing.HasBody)
            {
                if (expectsContinue) await SendAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray());
                await BodyCopier.CopyAsync(new BodyEnds(_reader, RelayPeer.Client, upstream.Stream, instance, _idle), framing);
                _requestComplete = true;
            }

            var response = await ReadResponseHeadAsync(upstream, instance, plan.Timeout, canReconnect, stopping);
            if (response is null) return Outcome.Reconnect;
            if (BodyFraming.ForResponse(response, method, out var problem) is not { } responseFraming)
                throw new RelayFailureException(RelayFailure.UpstreamFramingInvalid, problem!, upstream.Backend);
            if (retry && plan.RetriesOn(response.StatusCode)) return Outcome.Retry; // the connection is dropped with its unread body

            var upstreamKeepsOpen = response.ResponseVersion == "HTTP/1.1" ? !response.HasToken("Connection", "close")
                : response.HasToken("Connection", "keep-alive");
            var close = !_keepAlive || responseFraming.Kind == BodyKind.UntilClose;
            response.RemoveHopByHop();
            response.First = "HTTP/1.1";
            if (close) response.Fields.Add(new("Connection", "close"));
            _responseStarted = true;
            relay.CountResponse(response.StatusCode);
            await RelayIo.StepAsync(_idle, RelayPeer.Client, token => _toClient.WriteAsync(response.Encode(), token));
            await BodyCopier.CopyAsync(new BodyEnds(upstream.Reader, instance, _toClient, RelayPeer.Client, _idle), responseFraming);
            await RelayIo.StepAsync(_idle, RelayPeer.Client, token => new ValueTask(_toClient.FlushAsync(token)));
            reusable = upstreamKeepsOpen && responseFraming.Kind != BodyKind.UntilClose;
            return close ? Outcome.Close : Outcome.KeepOpen;
        }
        finally
        {
            if (reusable) await pool.ReturnAsync(upstream); // checked when taken: it may close while idle
            else await upstream.DisposeAsync();
        }
    }

    /// <summary>
    /// The final response head (interim 1xx ones are passed on, 100 dropped), within the rule's timeout if it has
    /// one; null when a pooled connection turned out closed before any answer (the request is sent again).
    /// </summary>
    private async Task<HttpHead?> ReadResponseHeadAsync(UpstreamConnection upstream, RelayPeer instance, TimeSpan? timeout, bool canReconnect,
        CancellationToken stopping)
    {
        while (true)
        {
            HttpHeadReader.Result head;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_idle.Waiting(RelaySide.Upstream));
            if (timeout is { } limit) deadline.CancelAfter(limit);
            try
            {
                head = await RelayIo.StepAsync(_idle, instance, _ => HttpHeadReader.ReadAsync(upstream.Reader, request: false, deadline.Token));
            }
            catch (RelayFailureException e) when (canReconnect && e.Failure == RelayFailure.UpstreamClosed)
            {
                return null;
            }
            catch (OperationCanceledException e) when (!stopping.IsCancellationRequested && !_idle.Expired)
            {
                throw new RelayFailureException(RelayFailure.UpstreamTimeout, $"no response head within {timeout!.Value.TotalSeconds} s",
                    upstream.Backend, e);
            }
            if (head.Status == HttpHeadReader.HeadStatus.End && canReconnect) return null;
            if (head.Status == HttpHeadReader.HeadStatus.End)
                throw new RelayFailureException(RelayFailure.UpstreamClosed, "closed before answering", upstream.Backend);
            if (head.Status != HttpHeadReader.HeadStatus.Ok)
                throw new RelayFailureException(RelayFailure.UpstreamHeadMalformed, head.Problem ?? "no head", upstream.Backend);
            var response = head.Head!;
            if (response.StatusCode is < 100 or >= 200 || response.StatusCode == 101) return response;
            if (response.StatusCode != 100) await SendAsync(response.Encode()); // 103 Early Hints and such
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
    private async Task RespondAsync(int status, bool close)
    {
        relay.CountResponse(status);
        var reason = Reason(status);
        var body = $"{status} {reason}\n";
        var text = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nVia: {Via}\r\n"
                   + (close ? "Connection: close\r\n" : "") + "\r\n" + body;
        _responseStarted = true;
        await SendAsync(Encoding.Latin1.GetBytes(text));
    }

    private async Task SendAsync(byte[] bytes) =>
        await RelayIo.StepAsync(_idle, RelayPeer.Client, async token =>
        {
            await _toClient.WriteAsync(bytes, token);
            await _toClient.FlushAsync(token);
        });

    private static string Reason(int status) => status switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => status < 400 ? "OK" : "Error",
    };
}
