using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace AppSwitch.Agent.L7;

/// <summary>
/// Streams one message body from a pipe to the other side as it arrives, never holding more than the pipe's
/// buffer: Content-Length bytes, chunked encoding passed through chunk by chunk (sizes checked, trailers kept),
/// or everything until the sender closes. Each batch read is flushed on: streamed responses stay streamed.
/// </summary>
internal static class BodyCopier
{
    private const int MaxChunkLine = 4096;

    public static Task CopyAsync(PipeReader from, Stream to, BodyFraming framing, CancellationToken cancel) => framing.Kind switch
    {
        BodyKind.Length => framing.Length == 0 ? Task.CompletedTask : CopyLengthAsync(from, to, framing.Length, cancel),
        BodyKind.Chunked => CopyChunkedAsync(from, to, cancel),
        _ => CopyUntilCloseAsync(from, to, cancel),
    };

    private static async Task CopyLengthAsync(PipeReader from, Stream to, long remaining, CancellationToken cancel)
    {
        while (remaining > 0)
        {
            var read = await from.ReadAsync(cancel);
            var buffer = read.Buffer;
            if (buffer.IsEmpty && read.IsCompleted) throw new HttpRelayException($"body ended {remaining} bytes early");
            var take = buffer.Slice(0, Math.Min(buffer.Length, remaining));
            await WriteAsync(to, take, cancel);
            remaining -= take.Length;
            from.AdvanceTo(take.End);
        }
    }

    private static async Task CopyUntilCloseAsync(PipeReader from, Stream to, CancellationToken cancel)
    {
        while (true)
        {
            var read = await from.ReadAsync(cancel);
            await WriteAsync(to, read.Buffer, cancel);
            from.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted) return;
        }
    }

    private static async Task CopyChunkedAsync(PipeReader from, Stream to, CancellationToken cancel)
    {
        while (true)
        {
            var line = await ReadLineAsync(from, to, cancel);
            var sizeText = line.Split(';')[0].Trim();
            if (!long.TryParse(sizeText, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var size) || size < 0 || sizeText.Length > 15)
                throw new HttpRelayException($"bad chunk size line \"{line}\"");
            if (size == 0)
            {
                // Trailer fields, then the empty line that ends the message.
                while ((await ReadLineAsync(from, to, cancel)).Length > 0) { }
                return;
            }
            await CopyLengthAsync(from, to, size, cancel);
            if ((await ReadLineAsync(from, to, cancel)).Length > 0) throw new HttpRelayException("chunk data longer than its size");
        }
    }

    /// <summary>Reads one CRLF-terminated line, forwards it unchanged and returns it without the CRLF.</summary>
    private static async Task<string> ReadLineAsync(PipeReader from, Stream to, CancellationToken cancel)
    {
        while (true)
        {
            var read = await from.ReadAsync(cancel);
            if (FindLine(read.Buffer) is var (text, end) && text is not null)
            {
                await WriteAsync(to, read.Buffer.Slice(0, end), cancel);
                from.AdvanceTo(end);
                return text;
            }
            if (read.Buffer.Length > MaxChunkLine) throw new HttpRelayException($"chunk line over {MaxChunkLine} bytes");
            if (read.IsCompleted) throw new HttpRelayException("body ended inside a chunk line");
            from.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static (string? Text, SequencePosition End) FindLine(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8) ? (Encoding.Latin1.GetString(line), reader.Position) : (null, default);
    }

    private static async ValueTask WriteAsync(Stream to, ReadOnlySequence<byte> data, CancellationToken cancel)
    {
        foreach (var segment in data) await to.WriteAsync(segment, cancel);
        await to.FlushAsync(cancel); // a buffered destination must not hold a streamed body back
    }
}

/// <summary>A message the relay cannot pass on (bad framing, early end); the connection is closed.</summary>
internal sealed class HttpRelayException(string message) : Exception(message);
