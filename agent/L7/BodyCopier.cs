using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace AppSwitch.Agent.L7;

/// <summary>
/// Streams one message body from a pipe to the other side as it arrives, never holding more than the pipe's
/// buffer: Content-Length bytes, chunked encoding passed through chunk by chunk (sizes checked, trailers kept),
/// or everything until the sender closes. Each batch read is flushed on: streamed responses stay streamed.
/// Failures are raised as the <see cref="RelayFailure"/> of the side that caused them.
/// </summary>
internal static class BodyCopier
{
    private const int MaxChunkLine = 4096;

    public static Task CopyAsync(BodyEnds ends, BodyFraming framing) => framing.Kind switch
    {
        BodyKind.Length => framing.Length == 0 ? Task.CompletedTask : CopyLengthAsync(ends, framing.Length),
        BodyKind.Chunked => CopyChunkedAsync(ends),
        _ => CopyUntilCloseAsync(ends),
    };

    private static async Task CopyLengthAsync(BodyEnds ends, long remaining)
    {
        while (remaining > 0)
        {
            var read = await ReadAsync(ends);
            var buffer = read.Buffer;
            if (buffer.IsEmpty && read.IsCompleted) throw Closed(ends, $"body ended {remaining} bytes early");
            var take = buffer.Slice(0, Math.Min(buffer.Length, remaining));
            await WriteAsync(ends, take);
            remaining -= take.Length;
            ends.From.AdvanceTo(take.End);
        }
    }

    private static async Task CopyUntilCloseAsync(BodyEnds ends)
    {
        while (true)
        {
            var read = await ReadAsync(ends);
            await WriteAsync(ends, read.Buffer);
            ends.From.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted) return;
        }
    }

    private static async Task CopyChunkedAsync(BodyEnds ends)
    {
        while (true)
        {
            var line = await ReadLineAsync(ends);
            var sizeText = line.Split(';')[0].Trim();
            if (!long.TryParse(sizeText, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var size) || size < 0 || sizeText.Length > 15)
                throw Malformed(ends, $"bad chunk size line \"{line}\"");
            if (size == 0)
            {
                // Trailer fields, then the empty line that ends the message.
                while ((await ReadLineAsync(ends)).Length > 0) { }
                return;
            }
            await CopyLengthAsync(ends, size);
            if ((await ReadLineAsync(ends)).Length > 0) throw Malformed(ends, "chunk data longer than its size");
        }
    }

    /// <summary>Reads one CRLF-terminated line, forwards it unchanged and returns it without the CRLF.</summary>
    private static async Task<string> ReadLineAsync(BodyEnds ends)
    {
        while (true)
        {
            var read = await ReadAsync(ends);
            if (FindLine(read.Buffer) is var (text, end) && text is not null)
            {
                await WriteAsync(ends, read.Buffer.Slice(0, end));
                ends.From.AdvanceTo(end);
                return text;
            }
            if (read.Buffer.Length > MaxChunkLine) throw Malformed(ends, $"chunk line over {MaxChunkLine} bytes");
            if (read.IsCompleted) throw Closed(ends, "body ended inside a chunk line");
            ends.From.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static (string? Text, SequencePosition End) FindLine(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8) ? (Encoding.Latin1.GetString(line), reader.Position) : (null, default);
    }

    private static ValueTask<ReadResult> ReadAsync(BodyEnds ends) => RelayIo.StepAsync(ends.Idle, ends.Source, ends.From.ReadAsync);

    private static async ValueTask WriteAsync(BodyEnds ends, ReadOnlySequence<byte> data) =>
        await RelayIo.StepAsync(ends.Idle, ends.Destination, async token =>
        {
            foreach (var segment in data) await ends.To.WriteAsync(segment, token);
            await ends.To.FlushAsync(token); // a buffered destination must not hold a streamed body back
        });

    private static RelayFailureException Closed(BodyEnds ends, string detail) =>
        new(RelayFailures.Closed(ends.Source.Side), detail, ends.Source.Instance);

    private static RelayFailureException Malformed(BodyEnds ends, string detail) =>
        new(RelayFailures.BodyMalformed(ends.Source.Side), detail, ends.Source.Instance);
}
