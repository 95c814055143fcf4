using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace AppSwitch.Agent.NameService;

/// <summary>
/// The part of the DNS wire format (RFC 1035) the agent's server needs: decoding a query with one question
/// and encoding an answer with A records. Every read is length-checked; malformed input throws
/// <see cref="DnsDecodeException"/> and nothing else.
/// </summary>
public static class DnsCodec
{
    public const int HeaderSize = 12;
    public const int MaxNameLength = 255;
    private const ushort ClassIn = 1;
    private const int MaxPointerJumps = 16;

    /// <summary>The id of a message whose header is readable (for a FORMERR answer), else null.</summary>
    public static ushort? PeekId(ReadOnlySpan<byte> message) =>
        message.Length >= HeaderSize ? BinaryPrimitives.ReadUInt16BigEndian(message) : null;

    public static DnsQuery DecodeQuery(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderSize) throw new DnsDecodeException($"{message.Length} bytes is shorter than a DNS header");
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & 0x8000) != 0) throw new DnsDecodeException("the message is a response, not a query");
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        if (questions != 1) throw new DnsDecodeException($"{questions} questions (only one is supported)");

        var offset = HeaderSize;
        var name = ReadName(message, ref offset);
        if (offset + 4 > message.Length) throw new DnsDecodeException("the question is truncated");
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
        var question = message[HeaderSize..(offset + 4)].ToArray();
        return new DnsQuery(id, (flags & 0x0100) != 0, (byte)((flags >> 11) & 0xF), name, type, @class, question);
    }

    /// <summary>A name at <paramref name="offset"/> (advanced past it), lowercase, without the final dot; "" is the root.</summary>
    internal static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = new StringBuilder();
        var position = offset;
        var jumps = 0;
        var endOfName = -1; // where the caller continues once a pointer was followed
        while (true)
        {
            if (position >= message.Length) throw new DnsDecodeException("a name runs past the end of the message");
            var length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length) throw new DnsDecodeException("a name pointer is truncated");
                if (++jumps > MaxPointerJumps) throw new DnsDecodeException("a name has a pointer loop");
                if (endOfName < 0) endOfName = position + 2;
                position = ((length & 0x3F) << 8) | message[position + 1];
                continue;
            }
            if ((length & 0xC0) != 0) throw new DnsDecodeException($"label type 0x{length & 0xC0:x2} is not supported");
            position++;
            if (length == 0) break;
            if (position + length > message.Length) throw new DnsDecodeException("a label runs past the end of the message");
            if (name.Length > 0) name.Append('.');
            foreach (var b in message.Slice(position, length))
            {
                if (b is (byte)'.' or < 0x21 or > 0x7E) throw new DnsDecodeException("a label holds a byte that is not a printable letter");
                name.Append(char.ToLowerInvariant((char)b));
            }
            if (name.Length > MaxNameLength) throw new DnsDecodeException("a name is longer than 255 characters");
            position += length;
        }
        offset = endOfName >= 0 ? endOfName : position;
        return name.ToString();
    }

    /// <summary>An answer to <paramref name="query"/>: its question, then one A record per address.</summary>
    public static byte[] EncodeAnswer(DnsQuery query, DnsRcode rcode, IReadOnlyList<IPAddress> addresses, uint ttl)
    {
        var size = HeaderSize + query.Question.Length + addresses.Count * 16;
        var buffer = new byte[size];
        var span = buffer.AsSpan();
        WriteHeader(span, query.Id, query.Opcode, query.RecursionDesired, rcode, questions: 1, answers: (ushort)addresses.Count);
        query.Question.CopyTo(span[HeaderSize..]);
        var offset = HeaderSize + query.Question.Length;
        foreach (var address in addresses)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[offset..], 0xC000 | HeaderSize); // the name: a pointer to the question's
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], DnsType.A);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 4)..], ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 6)..], ttl);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 10)..], 4);
            address.MapToIPv4().TryWriteBytes(span[(offset + 12)..], out _);
            offset += 16;
        }
        return buffer;
    }

    /// <summary>A bare error answer (no question) for a message that could not be decoded but has an id.</summary>
    public static byte[] EncodeError(ushort id, DnsRcode rcode)
    {
        var buffer = new byte[HeaderSize];
        WriteHeader(buffer, id, opcode: 0, recursionDesired: false, rcode, questions: 0, answers: 0);
        return buffer;
    }

    private static void WriteHeader(Span<byte> span, ushort id, byte opcode, bool recursionDesired, DnsRcode rcode,
        ushort questions, ushort answers)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        // QR=1, the query's opcode, AA=1 (we own these names), RD echoed, RA=1 (we forward), rcode.
        var flags = 0x8000 | (opcode & 0xF) << 11 | 0x0400 | (recursionDesired ? 0x0100 : 0) | 0x0080 | (int)rcode;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)flags);
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], questions);
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], answers);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 0);
    }

    /// <summary>The SERVFAIL answer to a query the forwarder could not get answered.</summary>
    public static byte[] EncodeFailure(DnsQuery query, DnsRcode rcode) => EncodeAnswer(query, rcode, [], 0);
}
