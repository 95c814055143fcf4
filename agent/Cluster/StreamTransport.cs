using System.Buffers.Binary;
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

/// <summary>The peer's frame was refused (wrong key or cluster); already counted and logged.</summary>
internal sealed class StreamRejectedException(string message) : Exception(message);

/// <summary>One TCP exchange: sealed, length-prefixed frames each way.</summary>
internal sealed class StreamConnection(Socket socket, IPEndPoint remote, MessageGate gate, GossipCounters counters, int maxFrame) : IDisposable
{
    public IPEndPoint Remote { get; } = remote;

    public async Task WriteAsync(GossipMessage message, CancellationToken cancel)
    {
        var frame = gate.Seal(MessageCodec.Encode(message), headroom: 4);
        if (frame.Length - 4 > maxFrame) throw new InvalidOperationException($"a {message.Type} frame of {frame.Length} bytes exceeds the frame bound");
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(frame.Length - 4));
        var remaining = frame.AsMemory();
        while (remaining.Length > 0)
        {
            int sent = await socket.SendAsync(remaining, SocketFlags.None, cancel).ConfigureAwait(false);
            remaining = remaining[sent..];
        }
        counters.Sent(frame.Length);
    }

    /// <summary>The next message; throws on a closed connection, an oversize frame, garbage or a refused frame.</summary>
    public async Task<GossipMessage> ReadAsync(CancellationToken cancel)
    {
        var header = new byte[4];
        await ReadExactAsync(header, cancel).ConfigureAwait(false);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0 || length > (uint)maxFrame)
        {
            counters.DecodeFailure();
            throw new GossipDecodeException($"frame length {length} out of bounds");
        }
        var body = new byte[length];
        await ReadExactAsync(body, cancel).ConfigureAwait(false);
        counters.Received(body.Length + 4);
        return gate.Open(body, Remote) ?? throw new StreamRejectedException("frame refused");
    }

    private async Task ReadExactAsync(Memory<byte> buffer, CancellationToken cancel)
    {
        while (buffer.Length > 0)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel).ConfigureAwait(false);
            if (read == 0) throw new IOException("connection closed by peer");
            buffer = buffer[read..];
        }
    }

    public void Dispose() => socket.Dispose();
}
