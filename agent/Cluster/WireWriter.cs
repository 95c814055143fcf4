using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AppSwitch.Agent.Cluster;

/// <summary>Appends big-endian fields to a growing buffer (the encoding side of <see cref="WireReader"/>).</summary>
internal sealed class WireWriter(int capacity = 256)
{
    private byte[] _buffer = new byte[capacity];
    private int _length;

    public int Length => _length;
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);
    public byte[] ToArray() => Written.ToArray();

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void U8(byte value) => Grow(1)[0] = value;
    public void U16(int value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)value, (uint)ushort.MaxValue);
        BinaryPrimitives.WriteUInt16BigEndian(Grow(2), (ushort)value);
    }
    public void U32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);
    public void U64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Grow(8), value);
    public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    /// <summary>u32 length, then the bytes.</summary>
    public void Blob(ReadOnlySpan<byte> bytes) { U32((uint)bytes.Length); Raw(bytes); }

    /// <summary>u8 length (1..255), then UTF-8.</summary>
    public void Name(string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        if (count is 0 or > 255) throw new ArgumentException($"a name must be 1 to 255 bytes: '{value}'");
        U8((byte)count);
        Encoding.UTF8.GetBytes(value, Grow(count));
    }

    /// <summary>Family (4 or 6), address bytes, u16 port. IPv4-mapped IPv6 addresses are written as IPv4.</summary>
    public void EndPoint(IPEndPoint endPoint)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        if (address.AddressFamily == AddressFamily.InterNetwork) { U8(4); address.TryWriteBytes(Grow(4), out _); }
        else { U8(6); address.TryWriteBytes(Grow(16), out _); }
        U16(endPoint.Port);
    }

    /// <summary>Reserves a u16 to be filled in later (a length known only after writing what follows).</summary>
    public int ReserveU16() { Grow(2); return _length - 2; }
    public void PatchU16(int position, int value) => BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(position, 2), checked((ushort)value));
}
