using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace AppSwitch.Agent.Cluster;

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
