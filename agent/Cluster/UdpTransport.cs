using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Cluster;

/// <summary>The node's UDP socket: one async receive loop, fire-and-forget sends, the drop hook for tests.</summary>
internal sealed class UdpTransport(Socket socket, MessageGate gate, GossipCounters counters,
    Func<PacketDirection, IPEndPoint, bool>? drop, ILogger logger) : IDisposable
{
    private volatile bool _disposed;

    /// <summary>Receives until cancelled or disposed; each admitted message goes to <paramref name="onMessage"/> on the loop.</summary>
    public async Task RunAsync(Action<GossipMessage, IPEndPoint> onMessage, CancellationToken cancel)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancel.IsCancellationRequested && !_disposed)
        {
            SocketReceiveFromResult result;
            try { result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancel).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException) when (!_disposed && !cancel.IsCancellationRequested) { continue; }
            catch (SocketException) { break; }
            var from = Normalize((IPEndPoint)result.RemoteEndPoint);
            if (drop is not null && drop(PacketDirection.Inbound, from)) { counters.DroppedFilter(); continue; }
            counters.Received(result.ReceivedBytes);
            try
            {
                var message = gate.Open(new ArraySegment<byte>(buffer, 0, result.ReceivedBytes), from);
                if (message is not null) onMessage(message, from);
            }
            catch (Exception e) { logger.LogError(e, "Gossip: handling a datagram from {Peer} failed", from); }
        }
    }

    public void Send(IPEndPoint to, ReadOnlySpan<byte> message)
    {
        if (_disposed) return;
        if (drop is not null && drop(PacketDirection.Outbound, to)) { counters.DroppedFilter(); return; }
        var packet = gate.Seal(message);
        counters.Sent(packet.Length);
        try
        {
            var pending = socket.SendToAsync(packet.AsMemory(), SocketFlags.None, to, CancellationToken.None);
            if (!pending.IsCompletedSuccessfully) _ = Observe(pending);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    private static async Task Observe(ValueTask<int> pending)
    {
        try { await pending.ConfigureAwait(false); } catch { /* a lost datagram is a lost datagram */ }
    }

    internal static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    public void Dispose()
    {
        _disposed = true;
        socket.Dispose();
    }
}
