using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Interception;
using Xunit;

namespace AppSwitch.Tests.Unit.Interception;

public class PortAllocatorTests
{
    [Fact]
    public void An_exited_apps_remembered_ports_are_forgotten_and_a_live_apps_are_kept()
    {
        var ports = new PortAllocator(PortRanges.Parse("41000-41999"), IPAddress.Loopback);
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        // Two apps' servers asked for port 7000 and got node ports from the range (loopback here).
        Assert.NotNull(ports.Bind((int)first.Handle, (int)AddressFamily.InterNetwork, new("app-gone", 1, 7000), out _));
        Assert.NotNull(ports.Bind((int)second.Handle, (int)AddressFamily.InterNetwork, new("app-live", 1, 7000), out _));
        Assert.Equal(2, ports.Remembered);

        ports.Forget("app-gone");

        Assert.Equal(1, ports.Remembered);
    }
}
