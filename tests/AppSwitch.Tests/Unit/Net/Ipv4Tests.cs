using System.Net;
using AppSwitch.Common.Net;
using Xunit;

namespace AppSwitch.Tests.Unit.Net;

/// <summary>The 4-byte address vservice backends are kept as: the same address in and out, in every spelling.</summary>
public sealed class Ipv4Tests
{
    [Theory]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("198.18.16.0", 0xC6121000u)]
    [InlineData("198.19.255.255", 0xC613FFFFu)]
    [InlineData("127.0.0.1", 0x7F000001u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    public void Text_value_and_address_round_trip(string text, uint value)
    {
        Assert.True(Ipv4.TryParse(text, out var parsed));
        Assert.Equal(new Ipv4(value), parsed);
        Assert.Equal(text, parsed.ToString());
        Assert.Equal(IPAddress.Parse(text), parsed.ToAddress());
        Assert.Equal(parsed, Ipv4.From(IPAddress.Parse(text)));
    }

    [Fact]
    public void An_ipv4_mapped_ipv6_address_is_the_same_ipv4()
    {
        Assert.True(Ipv4.TryFrom(IPAddress.Parse("::ffff:198.18.3.2"), out var mapped));
        Assert.Equal(Ipv4.From(IPAddress.Parse("198.18.3.2")), mapped);
    }

    [Theory]
    [InlineData("::1")]
    [InlineData("fd00::2")]
    public void An_ipv6_address_is_not_one(string text)
    {
        Assert.False(Ipv4.TryFrom(IPAddress.Parse(text), out _));
        Assert.Throws<ArgumentException>(() => Ipv4.From(IPAddress.Parse(text)));
    }

    [Theory]
    [InlineData("198.18.1")]
    [InlineData("198.18.01.1")]
    [InlineData("198.18.1.256")]
    [InlineData("::ffff:198.18.1.1")]
    [InlineData("")]
    public void Only_a_strict_dotted_quad_parses(string text) => Assert.False(Ipv4.TryParse(text, out _));

    [Fact]
    public void Equal_addresses_are_equal_and_order_follows_the_address()
    {
        Assert.True(Ipv4.TryParse("198.18.3.2", out var a));
        Assert.True(Ipv4.TryParse("198.18.3.2", out var b));
        Assert.True(Ipv4.TryParse("198.18.3.10", out var c));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.True(a.CompareTo(c) < 0); // numeric, not textual ("10" < "2")
    }
}
