using System.Net;
using AppSwitch.Agent.Following;
using Xunit;

namespace AppSwitch.Tests.Unit.Following;

/// <summary>
/// The RST the agent injects for a connection to a dead node. Expected packets were computed outside this code, with
/// Python's struct and socket modules (pseudo-header + segment summed as 16-bit words, folded, complemented, as in
/// RFC 1071), and the IPv4 one checked by the kernel: sent through a raw socket it reset a real connection.
/// </summary>
public sealed class ResetPacketTests
{
    [Theory]
    [InlineData("10.0.0.1", 7000, "10.0.0.3", 45516, 0x12345678u,
        "4500002800000000400600000a0000010a0000031b58b1cc123456780000000050040000660c0000")]
    [InlineData("192.168.255.254", 65535, "172.31.250.9", 1, 0xFFFFFFFFu,
        "450000280000000040060000c0a8fffeac1ffa09ffff0001ffffffff0000000050040000490f0000")]
    [InlineData("fd00::1", 7000, "fd00::3", 45516, 0xFEDCBA98u,
        "6000000000140640fd000000000000000000000000000001fd0000000000000000000000000000031b58b1ccfedcba9800000000500400002f410000")]
    public void A_reset_is_the_packet_computed_independently(string from, int fromPort, string to, int toPort, uint sequence, string expected)
    {
        var packet = ResetPacket.Build(new IPEndPoint(IPAddress.Parse(from), fromPort), new IPEndPoint(IPAddress.Parse(to), toPort), sequence);
        Assert.Equal(expected, Convert.ToHexStringLower(packet));
    }

    [Fact]
    public void Addresses_of_two_families_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ResetPacket.Build(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 1), new IPEndPoint(IPAddress.Parse("fd00::1"), 2), 0));
        Assert.Contains("different address families", error.Message);
    }
}
