using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace AppSwitch.Agent.Following;

/// <summary>
/// One TCP reset as a whole IP packet (IPv4 or IPv6 header, a 20-byte TCP header with only RST set, no options, no
/// payload), with the TCP checksum over the pseudo-header (RFC 9293 3.1, RFC 8200 8.1). For a raw socket with the IP
/// header included; the IPv4 header checksum is left 0 for the kernel to fill in.
/// </summary>
internal static class ResetPacket
{
    private const int Ipv4HeaderSize = 20, Ipv6HeaderSize = 40, TcpHeaderSize = 20, TcpProtocol = 6, HopLimit = 64;
    private const byte RstFlag = 0x04;

    /// <summary>A reset from <paramref name="from"/> to <paramref name="to"/> (the same family) carrying <paramref name="sequence"/>.</summary>
    public static byte[] Build(IPEndPoint from, IPEndPoint to, uint sequence)
    {
        if (from.AddressFamily != to.AddressFamily) throw new ArgumentException($"{from} and {to} are of different address families", nameof(to));
        var ipv6 = from.AddressFamily == AddressFamily.InterNetworkV6;
        var ipSize = ipv6 ? Ipv6HeaderSize : Ipv4HeaderSize;
        var packet = new byte[ipSize + TcpHeaderSize];
        if (ipv6) WriteIpv6Header(packet, from.Address, to.Address);
        else WriteIpv4Header(packet, from.Address, to.Address);

        var tcp = packet.AsSpan(ipSize);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], (ushort)to.Port);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        tcp[12] = TcpHeaderSize / 4 << 4; // data offset in 32-bit words
        tcp[13] = RstFlag;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TcpChecksum(from.Address, to.Address, tcp));
        return packet;
    }

    private static void WriteIpv4Header(Span<byte> packet, IPAddress from, IPAddress to)
    {
        packet[0] = 0x45; // version 4, 5 words
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], Ipv4HeaderSize + TcpHeaderSize);
        packet[8] = HopLimit;
        packet[9] = TcpProtocol;
        from.TryWriteBytes(packet[12..16], out _);
        to.TryWriteBytes(packet[16..20], out _);
    }

    private static void WriteIpv6Header(Span<byte> packet, IPAddress from, IPAddress to)
    {
        packet[0] = 0x60; // version 6, traffic class and flow label 0
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], TcpHeaderSize);
        packet[6] = TcpProtocol;
        packet[7] = HopLimit;
        from.TryWriteBytes(packet[8..24], out _);
        to.TryWriteBytes(packet[24..40], out _);
    }

    /// <summary>The one's-complement sum of the pseudo-header (addresses, protocol, TCP length) and the segment.</summary>
    private static ushort TcpChecksum(IPAddress from, IPAddress to, ReadOnlySpan<byte> segment)
    {
        var sum = Sum(from.GetAddressBytes()) + Sum(to.GetAddressBytes()) + TcpProtocol + (uint)segment.Length + Sum(segment);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static uint Sum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < bytes.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
        if (bytes.Length % 2 == 1) sum += (uint)bytes[^1] << 8;
        return sum;
    }
}
