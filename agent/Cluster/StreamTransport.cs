using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// The node's TCP side: an accept loop, outbound connections, and length-prefixed sealed frames
/// (<c>[u32 length][envelope]</c>) bounded by <see cref="GossipOptions.MaxFrameSize"/>.
/// </summary>
internal sealed class StreamTransport(Socket listener, MessageGate gate, GossipCounters counters, GossipOptions options, ILogger logger) : IDisposable
{
    private volatile bool _disposed;

    public async Task RunAsync(Func<StreamConnection, CancellationToken, Task> onConnection, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested && !_disposed)
        {
            Socket accepted;
            try { accepted = await listener.AcceptAsync(cancel).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) when (!_disposed && !cancel.IsCancellationRequested) { continue; }
            catch (SocketException) { break; }
            var remote = UdpTransport.Normalize((IPEndPoint)accepted.RemoteEndPoint!);
            if (options.DropPacket is not null && options.DropPacket(PacketDirection.Inbound, remote))
            {
                counters.DroppedFilter();
                accepted.Dispose();
                continue;
            }
            _ = ServeAsync(new StreamConnection(accepted, remote, gate, counters, options.MaxFrameSize), onConnection, cancel);
        }
    }

    private async Task ServeAsync(StreamConnection connection, Func<StreamConnection, CancellationToken, Task> onConnection, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(options.TcpTimeout);
        try { await onConnection(connection, timeout.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or GossipDecodeException or StreamRejectedException or ObjectDisposedException)
        {
            logger.LogDebug("Gossip: TCP exchange with {Peer} ended: {Reason}", connection.Remote, e.Message);
        }
        catch (Exception e) { logger.LogError(e, "Gossip: TCP exchange with {Peer} failed", connection.Remote); }
        finally { connection.Dispose(); }
    }

    public async Task<StreamConnection> ConnectAsync(IPEndPoint to, CancellationToken cancel)
    {
        if (options.DropPacket is not null && options.DropPacket(PacketDirection.Outbound, to))
        {
            counters.DroppedFilter();
            throw new SocketException((int)SocketError.ConnectionRefused);
        }
        var socket = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(to, cancel).ConfigureAwait(false);
            return new StreamConnection(socket, to, gate, counters, options.MaxFrameSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        listener.Dispose();
    }
}
