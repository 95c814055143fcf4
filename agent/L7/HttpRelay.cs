using AppSwitch.Common.Net;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.L7;

/// <summary>
/// The agent's HTTP/1.1 relay for connections whose destination has rules that need request-level work. It listens
/// on the node address (ephemeral port); the connect path registers the node socket's local address with the
/// connection's <see cref="HttpRelayHandoff"/> before connecting it here, and the relay looks it up on accept. Anything
/// that connects without a registration is closed. Each connection is served asynchronously (no thread of its own).
/// </summary>
// Not DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 (up to +35% requests/s): it would run every socket's continuations,
// Kestrel's and gossip's too, on the epoll thread, where one blocking continuation stalls all (NOTES, "L7 HTTP relay").
internal sealed class HttpRelay(NodeIdentity node, Rules.RuleBook rules, IRoutingSnapshotSource routing,
    Configuration.AgentOptions options, ILoggerFactory loggers, Metrics.AgentMetrics metrics) : IHostedService, IAsyncDisposable
{
    private readonly ILogger<HttpRelay> _logger = loggers.CreateLogger<HttpRelay>();
    private readonly ILogger<HttpRelayConnection> _connectionLogger = loggers.CreateLogger<HttpRelayConnection>();
    private readonly ConcurrentDictionary<IPEndPoint, HttpRelayHandoff> _expected = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly UpstreamPool _pool = new();
    private RequestRouter? _router;
    private Socket? _listener;
    private Task? _accepting;
    private long _connections;
    private long _requests;
    private long _active;
    private long _refused;
    private int _disposed;

    /// <summary>Where relayed connections go; null until started.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    /// <summary>Client connections accepted since start.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Requests relayed (or answered by an abort) since start.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>How long a relayed connection may make no progress in either direction (--http-relay-idle-timeout; zero: forever).</summary>
    public TimeSpan IdleTimeout => options.HttpRelayIdleTimeout;

    /// <summary>Failures since start, by cause and by upstream instance.</summary>
    internal RelayFailureCounters Failures { get; } = new();

    internal void Expect(IPEndPoint clientLocal, HttpRelayHandoff handoff) => _expected[Key(clientLocal)] = handoff;

    internal void Forget(IPEndPoint clientLocal) => _expected.TryRemove(Key(clientLocal), out _);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    /// <summary>Counts a response the client got (the upstream's or the relay's own) by its status code.</summary>
    internal void CountResponse(int status) =>
        metrics.HttpRelayResponses.Add(1, new KeyValuePair<string, object?>("code", Metrics.MetricLabels.StatusCode(status)));

    internal void ConnectionEnded() => Interlocked.Decrement(ref _active);

    /// <summary>
    /// The relay as `ax get proxies` lists it, once a rule needs it or it has carried a connection (byte counts are
    /// not kept: bodies stream through the pipes).
    /// </summary>
    public ProxyRecord? Record()
    {
        var services = rules.Index.HttpDestinations;
        if (EndPoint is not { } endPoint || (services.Count == 0 && Connections == 0)) return null;
        return new ProxyRecord
        {
            Id = "http-relay", Proto = "http", Listener = endPoint.ToString(),
            Dialers = $"per request by rules ({Requests} requests); services: {(services.Count == 0 ? "none" : string.Join(",", services))}",
            State = "listening", NodeId = node.Name, Connections = Connections, Active = Interlocked.Read(ref _active),
            Refused = Interlocked.Read(ref _refused), Failures = Failures.Snapshot(),
        };
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _router = new RequestRouter(routing, loggers.CreateLogger<RequestRouter>());
        var listener = new Socket(node.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(node.Address, 0));
        listener.Listen(1024);
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _accepting = AcceptAsync(listener);
        _logger.LogInformation("HTTP relay listening on {EndPoint}", EndPoint);
        return Task.CompletedTask;
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                _logger.LogWarning("HTTP relay: accept failed: {Error}", e.SocketErrorCode);
                continue;
            }
            var peer = (IPEndPoint)client.RemoteEndPoint!;
            if (!_expected.TryRemove(Key(peer), out var handoff))
            {
                _logger.LogWarning("HTTP relay: connection from {Peer} was not sent by this agent; closed", peer);
                Interlocked.Increment(ref _refused);
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            Interlocked.Increment(ref _connections);
            Interlocked.Increment(ref _active);
            _ = new HttpRelayConnection(this, client, handoff, _router!, _pool, _connectionLogger).RunAsync(_stopping.Token);
        }
    }

    private static IPEndPoint Key(IPEndPoint endPoint) => new(IpAddresses.Normalize(endPoint.Address), endPoint.Port);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _listener?.Dispose();
        if (_accepting is not null) await _accepting;
    }

    public async ValueTask DisposeAsync()
    {
        // Registered as a singleton and as a hosted service: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping.Cancel();
        _listener?.Dispose();
        await _pool.DisposeAsync();
        _stopping.Dispose();
    }
}
