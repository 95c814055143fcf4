using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace AppSwitch.Agent.L7;

/// <summary>The two ends of one body copy and the connection's idle deadline, so that each step knows whom it waits on.</summary>
internal readonly record struct BodyRoute(PipeReader From, RelayPeer Source, Stream To, RelayPeer Destination, IdleDeadline Idle);

/// <summary>
/// Streams one message body from a pipe to the other side as it arrives, never holding more than the pipe's
/// buffer: Content-Length bytes, chunked encoding passed through chunk by chunk (sizes checked, trailers kept),
/// or everything until the sender closes. Each batch read is flushed on: streamed responses stay streamed.
/// Failures are raised as the <see cref="RelayFailure"/> of the side that caused them.
/// </summary>
internal static class BodyCopier
{
    private const int MaxChunkLine = 4096;

    public static Task CopyAsync(BodyRoute route, BodyFraming framing) => framing.Kind switch
    {
        BodyKind.Length => framing.Length == 0 ? Task.CompletedTask : CopyLengthAsync(route, framing.Length),
        BodyKind.Chunked => CopyChunkedAsync(route),
        _ => CopyUntilCloseAsync(route),
    };

    private static async Task CopyLengthAsync(BodyRoute route, long remaining)
    {
        while (remaining > 0)
        {
            var read = await ReadAsync(route);
            var buffer = read.Buffer;
            if (buffer.IsEmpty && read.IsCompleted) throw Closed(route, $"body ended {remaining} bytes early");
            var take = buffer.Slice(0, Math.Min(buffer.Length, remaining));
            await WriteAsync(route, take);
            remaining -= take.Length;
            route.From.AdvanceTo(take.End);
        }
    }

    private static async Task CopyUntilCloseAsync(BodyRoute route)
    {
        while (true)
        {
            var read = await ReadAsync(route);
            await WriteAsync(route, read.Buffer);
            route.From.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted) return;
        }
    }

    private static async Task CopyChunkedAsync(BodyRoute route)
    {
        while (true)
        {
            var line = await ReadLineAsync(route);
            var sizeText = line.Split(';')[0].Trim();
            if (!long.TryParse(sizeText, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var size) || size < 0 || sizeText.Length > 15)
                throw Malformed(route, $"bad chunk size line \"{line}\"");
            if (size == 0)
            {
                // Trailer fields, then the empty line that ends the message.
                while ((await ReadLineAsync(route)).Length > 0) { }
                return;
            }
            await CopyLengthAsync(route, size);
            if ((await ReadLineAsync(route)).Length > 0) throw Malformed(route, "chunk data longer than its size");
        }
    }

    /// <summary>Reads one CRLF-terminated line, forwards it unchanged and returns it without the CRLF.</summary>
    private static async Task<string> ReadLineAsync(BodyRoute route)
    {
        while (true)
        {
            var read = await ReadAsync(route);
            if (FindLine(read.Buffer) is var (text, end) && text is not null)
            {
                await WriteAsync(route, read.Buffer.Slice(0, end));
                route.From.AdvanceTo(end);
                return text;
            }
            if (read.Buffer.Length > MaxChunkLine) throw Malformed(route, $"chunk line over {MaxChunkLine} bytes");
            if (read.IsCompleted) throw Closed(route, "body ended inside a chunk line");
            route.From.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static (string? Text, SequencePosition End) FindLine(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8) ? (Encoding.Latin1.GetString(line), reader.Position) : (null, default);
    }

    private static ValueTask<ReadResult> ReadAsync(BodyRoute route) => RelayIo.StepAsync(route.Idle, route.Source, route.From.ReadAsync);

    private static async ValueTask WriteAsync(BodyRoute route, ReadOnlySequence<byte> data) =>
        await RelayIo.StepAsync(route.Idle, route.Destination, async token =>
        {
            foreach (var segment in data) await route.To.WriteAsync(segment, token);
            await route.To.FlushAsync(token); // a buffered destination must not hold a streamed body back
        });

    private static RelayFailureException Closed(BodyRoute route, string detail) =>
        new(RelayFailures.Closed(route.Source.Side), detail, route.Source.Instance);

    private static RelayFailureException Malformed(BodyRoute route, string detail) =>
        new(RelayFailures.BodyMalformed(route.Source.Side), detail, route.Source.Instance);
}
