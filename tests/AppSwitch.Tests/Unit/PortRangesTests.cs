using AppSwitch.Agent.Configuration;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class PortRangesTests
{
    [Fact]
    public void RangesAndSinglePortsAreCountedAndIndexedInOrder()
    {
        var ports = PortRanges.Parse("40000-40002,7000, 8000-8001");
        Assert.Equal(6, ports.Count);
        Assert.Equal([40000, 40001, 40002, 7000, 8000, 8001], Enumerable.Range(0, ports.Count).Select(ports.PortAt));
        Assert.Equal("40000-40002,7000,8000-8001", ports.ToString());
    }

    [Fact]
    public void TheDefaultRangeHas20001Ports() => Assert.Equal(20001, PortRanges.Parse("40000-60000").Count);

    [Fact]
    public void IndexesOutsideTheRangesAreRefused()
    {
        var ports = PortRanges.Parse("10-11");
        Assert.Throws<ArgumentOutOfRangeException>(() => ports.PortAt(2));
    }

    [Theory]
    [InlineData("", "empty port range")]
    [InlineData("1,,2", "empty port range")]
    [InlineData("0-10", "'0-10' is not a port or port range (1-65535)")]
    [InlineData("65536", "'65536' is not a port or port range (1-65535)")]
    [InlineData("a-b", "'a-b' is not a port or port range (1-65535)")]
    [InlineData("20-10", "port range '20-10' ends before it starts")]
    public void BadRangesAreRefusedWithTheBadPartNamed(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => PortRanges.Parse(text));
        Assert.Contains(message, error.Message);
    }
}
