using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Native;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// One listening relay: accepts on its node endpoint, resolves the route for each connection and copies. A listen
/// failure (port taken) leaves it in the Failed state with the reason; <see cref="TryListen"/> is retried later.
/// Accepting is .NET's async sockets; the copy is the <see cref="SpliceEngine"/> when given, else pooled buffers
/// (<see cref="RelayConnection"/>).
/// </summary>
internal sealed class TcpRelay(RelaySpec spec, RelayRouteResolver routes, SpliceEngine? splice, ILogger<TcpRelay> logger) : IDisposable
{
    private static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;

    public RelaySpec Spec => spec;
    public RelayCounters Counters { get; } = new();
    /// <summary>Why the listener could not be opened (null while listening).</summary>
    public string? Error { get; private set; }
    public bool Listening => _listener is not null;

    /// <summary>Opens the listener and starts accepting; false with <see cref="Error"/> set when the port is not available.</summary>
    public bool TryListen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(spec.Listener);
            listener.Listen(1024);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            var first = Error is null;
            Error = e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "address in use" : e.Message;
            if (first) logger.LogWarning("Relay {Id}: cannot listen on {Listener}: {Reason}; retrying", spec.Route.Id, spec.Listener, Error);
            return false;
        }
        Error = null;
        _listener = listener;
        logger.LogInformation("Relay {Id}: listening on {Listener} for {Route}", spec.Route.Id, spec.Listener, spec.Route);
        _ = AcceptLoopAsync(listener);
        return true;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                logger.LogDebug("Relay {Id}: accept failed: {Error}", spec.Route.Id, e.SocketErrorCode);
                continue; // e.g. ECONNABORTED: a client gave up while queued
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        Counters.Accepted();
        var handedOver = false; // the splice engine counts it closed when it closes it
        var counted = false;
        try
        {
            client.NoDelay = true;
            var dial = routes.Resolve(spec.Route, out var reason);
            if (dial is null)
            {
                logger.LogInformation("Relay {Id}: connection from {Client} closed: {Reason}", spec.Route.Id, client.RemoteEndPoint, reason);
                counted = Refuse(client);
                return;
            }
            if (splice is not null)
            {
                var fd = FileCalls.Duplicate((int)client.Handle); // ours; .NET closes its own fd
                client.Dispose();
                if (fd.IsError) { Counters.CountRefused(); return; }
                handedOver = true;
                splice.Relay(fd.Fd, dial, Counters, spec.Route.Id);
                return;
            }
            var endPoint = dial.EndPoint;
            var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (dial.Source is { } source) target.Bind(new IPEndPoint(source, 0)); // a vservice's --source-ip
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(DialTimeout);
                await target.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                logger.LogInformation("Relay {Id}: connection from {Client} closed: dialing {Target} failed: {Error}",
                    spec.Route.Id, client.RemoteEndPoint, endPoint, e is SocketException s ? s.SocketErrorCode.ToString() : "timeout");
                target.Dispose();
                counted = Refuse(client);
                return;
            }
            await RelayConnection.RunAsync(client, target, Counters).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            client.Dispose();
        }
        finally
        {
            if (!handedOver && !counted) Counters.Closed();
        }
    }

    /// <summary>
    /// Resets the client: it sees the connection refused by the far end rather than an empty answer. Counted closed
    /// before the reset (as the splice engine does), so whoever saw the reset also sees it counted; true: counted.
    /// </summary>
    private bool Refuse(Socket client)
    {
        Counters.CountRefused();
        Counters.Closed();
        try { client.LingerState = new LingerOption(true, 0); } catch (SocketException) { }
        client.Dispose();
        return true;
    }

    /// <summary>Closes the listener; connections in progress finish on their own.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener?.Dispose();
        _listener = null;
        logger.LogInformation("Relay {Id} on {Listener} removed", spec.Route.Id, spec.Listener);
    }
}
