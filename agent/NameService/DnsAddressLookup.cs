using System.Buffers.Binary;
using System.Net;

namespace AppSwitch.Agent.NameService;

/// <summary>
/// The agent as a DNS *client* of its upstreams: one A question for a name, and the IPv4 addresses of the answer with
/// their TTLs (for names the agent resolves itself, e.g. Istio ServiceEntry hosts). Every read is length-checked;
/// a malformed answer throws <see cref="DnsDecodeException"/>.
/// </summary>
public static class DnsAddressLookup
{
    private const ushort TypeA = 1;
    private const ushort ClassIn = 1;

    /// <summary>A recursive query (RD set) for the A records of <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is not a DNS name (empty label, label over 63 bytes, over 255 bytes).</exception>
    public static byte[] EncodeQuery(ushort id, string name)
    {
        var labels = name.TrimEnd('.').Split('.');
        if (name.Length == 0 || name.Length > DnsCodec.MaxNameLength || labels.Any(l => l.Length is 0 or > 63 || !l.All(IsNameChar)))
            throw new ArgumentException($"\"{name}\" is not a DNS name", nameof(name));
        var message = new List<byte>(DnsCodec.HeaderSize + name.Length + 6);
        Span<byte> header = stackalloc byte[DnsCodec.HeaderSize];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1);
        message.AddRange(header.ToArray());
        foreach (var label in labels)
        {
            message.Add((byte)label.Length);
            message.AddRange(label.Select(c => (byte)c));
        }
        message.AddRange([0, 0, (byte)TypeA, 0, (byte)ClassIn]);
        return [.. message];
    }

    /// <summary>The response code and the A records (address, TTL in seconds) of the answer to query <paramref name="id"/>.</summary>
    public static (DnsRcode Rcode, IReadOnlyList<(IPAddress Address, uint Ttl)> Addresses) DecodeAnswer(ReadOnlySpan<byte> message, ushort id)
    {
        if (message.Length < DnsCodec.HeaderSize) throw new DnsDecodeException($"{message.Length} bytes is shorter than a DNS header");
        if (BinaryPrimitives.ReadUInt16BigEndian(message) != id) throw new DnsDecodeException("the answer is to another query");
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & 0x8000) == 0) throw new DnsDecodeException("the message is a query, not a response");
        var rcode = (DnsRcode)(flags & 0xF);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var offset = DnsCodec.HeaderSize;
        for (var i = 0; i < questions; i++)
        {
            DnsCodec.ReadName(message, ref offset);
            offset += 4;
        }
        var addresses = new List<(IPAddress, uint)>();
        for (var i = 0; i < answers; i++)
        {
            DnsCodec.ReadName(message, ref offset);
            if (offset + 10 > message.Length) throw new DnsDecodeException("an answer record is truncated");
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            if (offset + length > message.Length) throw new DnsDecodeException("an answer's data is truncated");
            if (type == TypeA && @class == ClassIn && length == 4) addresses.Add((new IPAddress(message.Slice(offset, 4)), ttl));
            offset += length; // CNAMEs and other records: the A records that follow them are what counts
        }
        return (rcode, addresses);
    }

    private static bool IsNameChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_';
}
