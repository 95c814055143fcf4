using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.NameService;

/// <summary>
/// Answers DNS on the sockets each new-netns app's launcher bound at 127.0.0.1:53 inside the app's namespace
/// (UDP, and TCP with length-prefixed messages). The sockets are closed when the app leaves the table.
/// It also answers on a UDP and a TCP socket at 127.0.0.1:&lt;ephemeral&gt; of the agent's own namespace
/// (<see cref="NodeEndPoint"/>): an app socket the agent already swapped for a node socket (busybox nslookup binds
/// its UDP socket to 0.0.0.0:0 first) that connects to 127.0.0.1:53 is connected there instead.
/// </summary>
public sealed class DnsServer : IDisposable
{
    private const string NodeSide = "(node side)";
    /// <summary>
    /// The receive buffer of an app's UDP loop, held while it waits: one per app. A query is a header, one question
    /// (a name of at most 255 bytes) and perhaps an OPT record, far under DNS Flag Day 2020's 1232 bytes; a longer
    /// datagram is cut, and only its header and question are read anyway. (It was 64 KiB: most of what an app cost.)
    /// </summary>
    private const int UdpQueryBuffer = 1232;
    private readonly AppSockets? _nodeSide;
    private static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);
    private readonly ServiceTable _table;
    private readonly DnsResponder _responder;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, AppSockets> _apps = new();
    private readonly System.Threading.Channels.ChannelReader<long> _revisions;

    private sealed record AppSockets(Socket Udp, Socket Tcp, CancellationTokenSource Stop);

    public DnsServer(ServiceTable table, DnsResponder responder, ILogger<DnsServer> logger)
    {
        _table = table;
        _responder = responder;
        _logger = logger;
        _revisions = table.Revisions.Subscribe();
        _ = Task.Run(WatchTableAsync);
    }

    /// <summary>Closes the DNS sockets of apps that left the table, at each table revision (off the changing thread).</summary>
    private async Task WatchTableAsync()
    {
        while (await _revisions.WaitToReadAsync())
        {
            _revisions.TryRead(out _);
            CloseEndedApps();
        }
    }

    /// <summary>Opens the node-side sockets (see the class summary) and serves them until disposed.</summary>
    public DnsServer(ServiceTable table, DnsResponder responder, ILogger<DnsServer> logger, bool nodeSide) : this(table, responder, logger)
    {
        if (!nodeSide) return;
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        tcp.Listen(64);
        _nodeSide = new AppSockets(udp, tcp, new CancellationTokenSource());
        _ = Task.Run(() => ServeUdpAsync(NodeSide, _nodeSide));
        _ = Task.Run(() => AcceptTcpAsync(NodeSide, _nodeSide));
    }

    /// <summary>Where a node socket's connect to 127.0.0.1:53 goes instead; null when DNS is off.</summary>
    public IPEndPoint? NodeEndPoint(Transport transport) =>
        (IPEndPoint?)(transport == Transport.Udp ? _nodeSide?.Udp.LocalEndPoint : _nodeSide?.Tcp.LocalEndPoint);

    /// <summary>Takes ownership of the app's DNS sockets (a bound UDP socket and a listening TCP socket) and serves them.</summary>
    public void Serve(string appId, int udpFd, int tcpFd)
    {
        var sockets = new AppSockets(FromFd(udpFd), FromFd(tcpFd), new CancellationTokenSource());
        _apps[appId] = sockets;
        _ = Task.Run(() => ServeUdpAsync(appId, sockets));
        _ = Task.Run(() => AcceptTcpAsync(appId, sockets));
        CloseEndedApps(); // the app may already have ended
    }

    private static Socket FromFd(int fd) => new(new SafeSocketHandle(fd, ownsHandle: true));

    private void CloseEndedApps()
    {
        foreach (var appId in _apps.Keys)
            if (_table.FindApp(appId) is null && _apps.TryRemove(appId, out var sockets))
                Close(sockets);
    }

    private static void Close(AppSockets sockets)
    {
        sockets.Stop.Cancel();
        sockets.Udp.Dispose();
        sockets.Tcp.Dispose();
    }

    private async Task ServeUdpAsync(string appId, AppSockets sockets)
    {
        var buffer = new byte[UdpQueryBuffer];
        while (!sockets.Stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await sockets.Udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), sockets.Stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                _logger.LogDebug("App {AppId}: DNS receive failed: {Error}", appId, e.Message);
                continue;
            }
            var message = buffer[..received.ReceivedBytes];
            var client = received.RemoteEndPoint;
            _ = AnswerUdpAsync(appId, sockets, message, client); // a slow upstream must not hold up the next question
        }
    }

    private async Task AnswerUdpAsync(string appId, AppSockets sockets, byte[] message, EndPoint client)
    {
        try
        {
            var answer = await _responder.AnswerAsync(message, overTcp: false, appId, sockets.Stop.Token);
            if (answer is not null) await sockets.Udp.SendToAsync(answer, SocketFlags.None, client, sockets.Stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
        catch (SocketException e)
        {
            _logger.LogDebug("App {AppId}: DNS answer to {Client} failed: {Error}", appId, client, e.Message);
        }
    }

    private async Task AcceptTcpAsync(string appId, AppSockets sockets)
    {
        while (!sockets.Stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await sockets.Tcp.AcceptAsync(sockets.Stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                _logger.LogDebug("App {AppId}: DNS accept failed: {Error}", appId, e.Message);
                continue;
            }
            _ = ServeTcpAsync(appId, sockets, connection);
        }
    }

    private async Task ServeTcpAsync(string appId, AppSockets sockets, Socket connection)
    {
        using var _ = connection;
        await using var stream = new NetworkStream(connection, ownsSocket: false);
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(sockets.Stop.Token);
                idle.CancelAfter(TcpIdleTimeout);
                var message = await DnsTcpFraming.ReadAsync(stream, idle.Token);
                if (message is null) return;
                var answer = await _responder.AnswerAsync(message, overTcp: true, appId, sockets.Stop.Token);
                if (answer is null) return;
                await DnsTcpFraming.WriteAsync(stream, answer, sockets.Stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException or SocketException)
        {
            _logger.LogDebug("App {AppId}: DNS over TCP connection ended: {Reason}", appId, e.Message);
        }
    }

    public void Dispose()
    {
        _table.Revisions.Unsubscribe(_revisions); // ends the watch
        if (_nodeSide is not null) Close(_nodeSide);
        foreach (var appId in _apps.Keys)
            if (_apps.TryRemove(appId, out var sockets)) Close(sockets);
    }
}
