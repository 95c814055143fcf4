using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace AppSwitch.Common.Net;

/// <summary>
/// An IPv4 address as a 4-byte value (host byte order): what a table holds by the hundred thousand (vservice
/// backends). An <see cref="IPAddress"/> is a 40-byte object, and 48 more once its text is asked for (it caches it).
/// </summary>
public readonly record struct Ipv4(uint Value) : IComparable<Ipv4>
{
    /// <summary>The address of an IPv4 (or IPv4-mapped IPv6) <see cref="IPAddress"/>; false for any other.</summary>
    public static bool TryFrom(IPAddress address, out Ipv4 ipv4)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[4];
        if (address.AddressFamily != AddressFamily.InterNetwork || !address.TryWriteBytes(bytes, out _))
        {
            ipv4 = default;
            return false;
        }
        ipv4 = new Ipv4(BinaryPrimitives.ReadUInt32BigEndian(bytes));
        return true;
    }

    /// <summary>The address of an IPv4 <see cref="IPAddress"/>; ArgumentException for any other family.</summary>
    public static Ipv4 From(IPAddress address) =>
        TryFrom(address, out var ipv4) ? ipv4 : throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));

    /// <summary>A strict dotted quad (<see cref="Ipv4Literal"/>'s rules: four parts, no leading zeros).</summary>
    public static bool TryParse(string text, out Ipv4 ipv4)
    {
        ipv4 = default;
        if (!Ipv4Literal.TryParse(text, out var address)) return false;
        ipv4 = From(address);
        return true;
    }

    /// <summary>A new <see cref="IPAddress"/> of this address (for a socket call or an endpoint).</summary>
    public IPAddress ToAddress()
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, Value);
        return new IPAddress(bytes);
    }

    public int CompareTo(Ipv4 other) => Value.CompareTo(other.Value);

    public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 0xff}.{(Value >> 8) & 0xff}.{Value & 0xff}";
}
