using System.Net;
using AppSwitch.Agent.Native;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class SockAddrTests
{
    [Theory]
    [InlineData("198.18.0.1", 80, AF.INET, 16)]
    [InlineData("198.18.0.1", 8080, AF.INET6, 28)]
    [InlineData("10.77.0.10", 40000, AF.INET6, 28)]
    public void Ipv4EndPointsRoundTripInTheSocketsFamily(string ip, int port, int family, int size)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var written = SockAddr.Encode(new IPEndPoint(IPAddress.Parse(ip), port), family, raw);

        Assert.Equal(size, written);
        Assert.Equal(family, SockAddr.Family(raw));
        Assert.True(SockAddr.TryDecode(raw[..written], out var decoded));
        Assert.Equal(port, decoded.Port);
        var address = decoded.Address.IsIPv4MappedToIPv6 ? decoded.Address.MapToIPv4() : decoded.Address;
        Assert.Equal(IPAddress.Parse(ip), address);
        if (family == AF.INET6) Assert.True(decoded.Address.IsIPv4MappedToIPv6);
    }

    [Fact]
    public void PortIsInNetworkByteOrder()
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        SockAddr.Encode(new IPEndPoint(IPAddress.Parse("1.2.3.4"), 0x1F90), AF.INET, raw);
        Assert.Equal(new byte[] { 2, 0, 0x1F, 0x90, 1, 2, 3, 4 }, raw[..8].ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 80, 1, 2, 3 })]        // AF_INET, too short
    [InlineData(new byte[] { 10, 0, 0, 80, 0, 0, 0, 0 })]    // AF_INET6, too short
    [InlineData(new byte[] { 1, 0, 47, 116, 109, 112 })]     // AF_UNIX
    [InlineData(new byte[] { 2 })]                           // no whole family field
    public void RejectsWhatIsNotAWholeInetAddress(byte[] raw)
    {
        Assert.False(SockAddr.TryDecode(raw, out _));
    }
}
