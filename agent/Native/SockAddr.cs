using System.Buffers.Binary;
using System.Net;

namespace AppSwitch.Agent.Native;

/// <summary>sockaddr_in / sockaddr_in6 encoding and decoding.</summary>
internal static unsafe class SockAddr
{
    /// <summary>sizeof(struct sockaddr_in), sizeof(struct sockaddr_in6), sizeof(struct sockaddr_storage).</summary>
    public static readonly int InetSize = sizeof(InetLayout), Inet6Size = sizeof(Inet6Layout);
    public const int MaxSize = 128;

    /// <summary>The family field of a raw sockaddr (0 when too short to hold one).</summary>
    public static int Family(ReadOnlySpan<byte> raw) => raw.Length < 2 ? 0 : BinaryPrimitives.ReadUInt16LittleEndian(raw);

    /// <summary>Decodes an AF_INET or AF_INET6 address; false when the length is wrong for the family.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> raw, out IPEndPoint endPoint)
    {
        endPoint = null!;
        switch (Family(raw))
        {
            case AF.INET when raw.Length >= InetSize:
                endPoint = new IPEndPoint(new IPAddress(raw.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(raw[2..]));
                return true;
            case AF.INET6 when raw.Length >= 24: // sin6_scope_id is optional (RFC 2553 length 24)
                var scope = raw.Length >= Inet6Size ? BinaryPrimitives.ReadUInt32LittleEndian(raw[24..]) : 0;
                endPoint = new IPEndPoint(new IPAddress(raw.Slice(8, 16), scope), BinaryPrimitives.ReadUInt16BigEndian(raw[2..]));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Encodes an endpoint for a socket of the given family (IPv4 in an AF_INET6 socket becomes v4-mapped).</summary>
    public static int Encode(IPEndPoint endPoint, int family, Span<byte> buffer)
    {
        buffer[..(family == AF.INET6 ? Inet6Size : InetSize)].Clear();
        var address = endPoint.Address;
        if (family == AF.INET6)
        {
            if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) address = address.MapToIPv6();
            BinaryPrimitives.WriteUInt16LittleEndian(buffer, AF.INET6);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)endPoint.Port);
            address.TryWriteBytes(buffer.Slice(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], (uint)address.ScopeId);
            return Inet6Size;
        }
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, AF.INET);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)endPoint.Port);
        address.TryWriteBytes(buffer.Slice(4, 4), out _);
        return InetSize;
    }

    /// <summary>struct sockaddr_in (16 bytes): the encoders above write its fields in network order.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    internal struct InetLayout
    {
        public ushort Family, Port;
        public uint Address;
        public ulong Zero;
    }

    /// <summary>struct sockaddr_in6 (28 bytes).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    internal struct Inet6Layout
    {
        public ushort Family, Port;
        public uint FlowInfo;
        public fixed byte Address[16];
        public uint ScopeId;
    }
}
