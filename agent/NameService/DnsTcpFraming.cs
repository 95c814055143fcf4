using System.Buffers.Binary;

namespace AppSwitch.Agent.NameService;

/// <summary>DNS over TCP: each message is preceded by its length as a big-endian u16 (RFC 1035 §4.2.2).</summary>
/// <remarks>
/// Length-prefixed frames read with Stream.ReadAtLeastAsync/ReadExactlyAsync, not a PipeReader: the length says how
/// much to read, so there is nothing to search for and no bytes to hand back (see README "Dependencies").
/// </remarks>
public static class DnsTcpFraming
{
    /// <summary>The next message, or null when the peer closed the stream between messages.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancel)
    {
        var prefix = new byte[2];
        var got = await stream.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, cancel);
        if (got == 0) return null;
        if (got < prefix.Length) throw new EndOfStreamException("a DNS message over TCP is truncated");
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(message, cancel); // EndOfStreamException when the stream ends inside it
        return message;
    }

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancel)
    {
        var frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame.AsMemory(2));
        await stream.WriteAsync(frame, cancel);
    }
}
