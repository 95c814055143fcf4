using System.Buffers.Binary;

namespace AppSwitch.Agent.NameService;

/// <summary>DNS over TCP: each message is preceded by its length as a big-endian u16 (RFC 1035 §4.2.2).</summary>
public static class DnsTcpFraming
{
    /// <summary>The next message, or null when the peer closed the stream between messages.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancel)
    {
        var prefix = new byte[2];
        if (!await ReadExactlyAsync(stream, prefix, cancel)) return null;
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        if (!await ReadExactlyAsync(stream, message, cancel)) throw new EndOfStreamException("a DNS message over TCP is truncated");
        return message;
    }

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancel)
    {
        var frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame.AsMemory(2));
        await stream.WriteAsync(frame, cancel);
    }

    private static async Task<bool> ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancel)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[done..], cancel);
            if (n == 0) return done == 0 && buffer.Length > 0 ? false : throw new EndOfStreamException("a DNS message over TCP is truncated");
            done += n;
        }
        return true;
    }
}
