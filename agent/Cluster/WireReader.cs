using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Length-checked reads of big-endian fields. Every read checks the remaining length first, so a truncated or
/// garbage input ends in <see cref="GossipDecodeException"/> and nothing else.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly int Remaining => _data.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new GossipDecodeException($"truncated: {count} bytes needed at offset {_position}, {Remaining} left");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    public byte U8() => Take(1)[0];
    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));
    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));
    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));
    public ReadOnlySpan<byte> Raw(int count) => Take(count);

    public byte[] Blob(int maxLength)
    {
        uint length = U32();
        if (length > (uint)maxLength) throw new GossipDecodeException($"a blob of {length} bytes exceeds the bound of {maxLength}");
        return Take((int)length).ToArray();
    }

    public string Name()
    {
        int length = U8();
        if (length == 0) throw new GossipDecodeException("empty name");
        try { return StrictUtf8.GetString(Take(length)); }
        catch (DecoderFallbackException) { throw new GossipDecodeException("a name is not valid UTF-8"); }
    }

    public IPEndPoint EndPoint()
    {
        byte family = U8();
        var address = family switch
        {
            4 => new IPAddress(Take(4)),
            6 => new IPAddress(Take(16)),
            _ => throw new GossipDecodeException($"unknown address family {family}"),
        };
        int port = U16();
        if (port == 0) throw new GossipDecodeException("port 0 in an address");
        return new IPEndPoint(address, port);
    }

    /// <summary>A u32 element count, checked against a bound and against the bytes left (each element takes at least <paramref name="minElementSize"/>).</summary>
    public int Count(int minElementSize, int max)
    {
        uint count = U32();
        if (count > (uint)max || (ulong)count * (ulong)minElementSize > (ulong)Remaining)
            throw new GossipDecodeException($"element count {count} is out of bounds");
        return (int)count;
    }

    public bool Flag()
    {
        byte value = U8();
        return value switch { 0 => false, 1 => true, _ => throw new GossipDecodeException($"bad boolean {value}") };
    }

    public readonly void End()
    {
        if (Remaining != 0) throw new GossipDecodeException($"{Remaining} trailing bytes");
    }
}
