using System.Collections.Concurrent;
using System.Net;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Native;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// The splice copy engine: one thread waits on an edge-triggered epoll holding both sockets of every relayed
/// connection (no thread per connection); the dial to the target is a non-blocking connect finished on the same
/// epoll. An error on either side resets both; a finished connection closes both.
/// </summary>
internal sealed class SpliceEngine : IDisposable
{
    private const uint Events = EPOLL.IN | EPOLL.OUT | EPOLL.RDHUP | EPOLL.ET;
    private const int TcpEstablished = 1;
    /// <summary>How long a dial may go unanswered (TCP_USER_TIMEOUT covers SYN retries; reset once connected).</summary>
    private const int DialTimeoutMs = 5000;
    private readonly Epoll _epoll = new(256);
    private readonly ConcurrentDictionary<ulong, SpliceConnection> _connections = new();
    private readonly ILogger<SpliceEngine> _logger;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _nextToken;

    public SpliceEngine(ILogger<SpliceEngine> logger)
    {
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "relay-splice" };
        _thread.Start();
    }

    /// <summary>
    /// Takes over <paramref name="clientFd"/> (an accepted socket) and relays it to <paramref name="target"/>;
    /// <paramref name="counters"/> learns the outcome (refused, bytes, closed).
    /// </summary>
    public void Relay(int clientFd, ConnectTarget target, RelayCounters counters, string relayId)
    {
        SocketCalls.SetNonBlocking(clientFd, true);
        SocketCalls.SetInt(clientFd, IPPROTO.TCP, TCP.NODELAY, 1);
        var created = SocketCalls.Create(new SocketCalls.Kind(AF.INET, SOCK.STREAM, 0));
        var errno = created.Error;
        var fd = created.IsError ? -1 : created.Fd; // the connection owns it from here (-1: nothing to close)
        if (errno == Errno.None)
        {
            SocketCalls.SetInt(fd, IPPROTO.TCP, TCP.NODELAY, 1);
            SocketCalls.SetInt(fd, IPPROTO.TCP, TCP.USER_TIMEOUT, DialTimeoutMs);
        }
        if (errno == Errno.None && target.Source is { } source) errno = SocketCalls.Bind(fd, new IPEndPoint(source, 0), AF.INET).Error;
        if (errno == Errno.None && SocketCalls.Connect(fd, target.EndPoint, AF.INET).Error is var c && c != Errno.EINPROGRESS) errno = c;
        var connection = new SpliceConnection(clientFd, fd, target.EndPoint, counters);
        if (errno == Errno.None) errno = connection.OpenPipes();
        if (errno != Errno.None)
        {
            _logger.LogInformation("Relay {Id}: dialing {Target} failed: errno {Errno}; client reset", relayId, target.EndPoint, errno);
            counters.CountRefused();
            Finish(0, connection, reset: true);
            return;
        }
        var token = (ulong)Interlocked.Increment(ref _nextToken);
        _connections[token] = connection;
        // The client first: its early events are ignored while connecting and its data waits in its socket;
        // the target's EPOLLOUT at connect completion then pumps both.
        _epoll.Add(clientFd, Events, token);
        _epoll.Add(fd, Events, token);
    }

    private void Run()
    {
        while (!_stop) _epoll.Wait(500, OnEvent);
    }

    private void OnEvent(ulong token, uint events)
    {
        if (!_connections.TryGetValue(token, out var connection)) return; // closed earlier in this batch
        if (connection.Connecting)
        {
            var error = SocketCalls.PendingError(connection.Target).Error;
            if (error != Errno.None)
            {
                _logger.LogInformation("Relay: dialing {Target} failed: errno {Errno}; client reset", connection.TargetEndPoint, error);
                connection.Counters.CountRefused();
                Finish(token, connection, reset: true);
                return;
            }
            if (SocketCalls.TcpState(connection.Target) != TcpEstablished) return; // still connecting
            connection.Connecting = false;
            SocketCalls.SetInt(connection.Target, IPPROTO.TCP, TCP.USER_TIMEOUT, 0); // the system's default again
        }
        var errno = connection.Pump();
        if (errno != Errno.None)
        {
            _logger.LogDebug("Relay: connection to {Target} reset: errno {Errno}", connection.TargetEndPoint, errno);
            Finish(token, connection, reset: true);
        }
        else if (connection.Finished) Finish(token, connection, reset: false);
    }

    private void Finish(ulong token, SpliceConnection connection, bool reset)
    {
        if (token != 0) _connections.TryRemove(token, out _);
        // Counted before the close: whoever sees the close (the client's RST) then also sees it counted.
        connection.Counters.Closed();
        connection.Close(reset); // closing the fds takes them out of the epoll set
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        foreach (var (token, connection) in _connections) Finish(token, connection, reset: true);
        _epoll.Dispose();
    }
}
