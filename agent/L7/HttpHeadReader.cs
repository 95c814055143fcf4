using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace AppSwitch.Agent.L7;

/// <summary>
/// Reads one message head (start line and fields up to the empty line) from a pipe, at most
/// <see cref="MaxHeadBytes"/>; a bigger head is <see cref="HeadStatus.TooLarge"/>, a malformed one <see cref="HeadStatus.Malformed"/>.
/// </summary>
internal static class HttpHeadReader
{
    public const int MaxHeadBytes = 64 * 1024;
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    public enum HeadStatus { Ok, End, TooLarge, Malformed }

    public readonly record struct Result(HeadStatus Status, HttpHead? Head, string? Problem);

    /// <summary>Reads a head; <see cref="HeadStatus.End"/> when the peer closed before sending any byte of it.</summary>
    public static async ValueTask<Result> ReadAsync(PipeReader reader, bool request, CancellationToken cancel)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancel);
            var buffer = read.Buffer;
            // Empty lines before a request are allowed (RFC 9112 §2.2).
            while (request && buffer.Length >= 2 && buffer.FirstSpan[0] == '\r' && SecondByte(buffer) == '\n') buffer = buffer.Slice(2);
            var sequence = new SequenceReader<byte>(buffer);
            if (sequence.TryReadTo(out ReadOnlySequence<byte> head, EndOfHead))
            {
                var length = head.Length;
                var parsed = length + 4 > MaxHeadBytes
                    ? new Result(HeadStatus.TooLarge, null, $"head of {length + 4} bytes, over {MaxHeadBytes}")
                    : Parse(Encoding.Latin1.GetString(head), request);
                reader.AdvanceTo(sequence.Position);
                return parsed;
            }
            if (buffer.Length > MaxHeadBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return new Result(HeadStatus.TooLarge, null, $"no end of head within {MaxHeadBytes} bytes");
            }
            if (read.IsCompleted)
            {
                var empty = buffer.Length == 0;
                reader.AdvanceTo(buffer.End);
                return empty ? new Result(HeadStatus.End, null, null) : new Result(HeadStatus.Malformed, null, "connection closed inside a head");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static byte SecondByte(ReadOnlySequence<byte> buffer) => buffer.FirstSpan.Length > 1 ? buffer.FirstSpan[1] : buffer.Slice(1, 1).FirstSpan[0];

    private static Result Parse(string text, bool request)
    {
        var lines = text.Split("\r\n");
        foreach (var line in lines)
            if (line.Contains('\n') || line.Contains('\r')) return Malformed("bare CR or LF inside the head");
        var start = lines[0];
        var firstSpace = start.IndexOf(' ');
        var secondSpace = firstSpace < 0 ? -1 : start.IndexOf(' ', firstSpace + 1);
        if (firstSpace <= 0) return Malformed($"bad start line \"{Clip(start)}\"");
        string first, second, third;
        if (request)
        {
            if (secondSpace < 0) return Malformed($"bad request line \"{Clip(start)}\"");
            (first, second, third) = (start[..firstSpace], start[(firstSpace + 1)..secondSpace], start[(secondSpace + 1)..]);
            if (!IsToken(first) || second.Length == 0 || second.Contains(' ') || !third.StartsWith("HTTP/1.", StringComparison.Ordinal))
                return Malformed($"bad request line \"{Clip(start)}\"");
        }
        else
        {
            first = start[..firstSpace];
            second = secondSpace < 0 ? start[(firstSpace + 1)..] : start[(firstSpace + 1)..secondSpace];
            third = secondSpace < 0 ? "" : start[(secondSpace + 1)..];
            if (!first.StartsWith("HTTP/1.", StringComparison.Ordinal) || second.Length != 3 || !int.TryParse(second, out _))
                return Malformed($"bad status line \"{Clip(start)}\"");
        }
        var fields = new List<KeyValuePair<string, string>>(lines.Length - 1);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var colon = line.IndexOf(':');
            // No whitespace before the colon, no obsolete line folding (RFC 9112 §5.1, §5.2).
            if (colon <= 0 || !IsToken(line[..colon])) return Malformed($"bad header line \"{Clip(line)}\"");
            fields.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }
        return new Result(HeadStatus.Ok, new HttpHead(first, second, third, fields), null);
    }

    private static Result Malformed(string problem) => new(HeadStatus.Malformed, null, problem);

    private static string Clip(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private static bool IsToken(string text)
    {
        foreach (var c in text)
            if (c <= ' ' || c >= 127 || "\"(),/:;<=>?@[\\]{}".Contains(c)) return false;
        return text.Length > 0;
    }
}
