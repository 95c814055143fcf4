using System.Net;

namespace AppSwitch.Agent.Native;

/// <summary>
/// Raw IP sockets (CAP_NET_RAW) that send whole packets the caller built, IP header included: IPPROTO_RAW implies
/// IP_HDRINCL for AF_INET and IPV6_HDRINCL for AF_INET6 (Linux 4.5+). The kernel fills in the IPv4 header checksum,
/// total length and id; nothing else, so the transport checksum is the caller's.
/// </summary>
internal static unsafe class RawSockets
{
    private const int SockRaw = 3, IpprotoRaw = 255;

    /// <summary>A raw socket of <paramref name="family"/> (AF_INET or AF_INET6), close-on-exec: its fd.</summary>
    public static SysResult OpenHeaderIncluded(int family) =>
        SysResult.FromReturn(Tmds.Linux.LibC.socket(family, SockRaw | SOCK.CLOEXEC, IpprotoRaw));

    /// <summary>Sends one packet towards <paramref name="destination"/> (the address routing uses; the port is unused).</summary>
    public static SysResult Send(int fd, ReadOnlySpan<byte> packet, IPAddress destination, int family)
    {
        Span<byte> address = stackalloc byte[SockAddr.MaxSize];
        var length = SockAddr.Encode(new IPEndPoint(destination, 0), family, address);
        fixed (byte* p = packet)
        fixed (byte* a = address)
            return SysResult.FromReturn(Tmds.Linux.LibC.sendto(fd, p, packet.Length, 0, (Tmds.Linux.sockaddr*)a, length));
    }
}
