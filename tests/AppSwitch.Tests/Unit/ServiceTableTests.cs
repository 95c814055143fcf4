using AppSwitch.Agent.Api;
using System.Net;
using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class ServiceTableTests
{
    private static readonly IPAddress NodeAddress = IPAddress.Parse("10.77.0.10");
    private readonly ServiceTable _table = new(new NodeIdentity("node1", "appswitch", NodeAddress));

    private AppEntry App(string id, string? ip) => new() { Id = id, VirtualIp = ip is null ? null : IPAddress.Parse(ip), Pid = 1 };

    private static ServerEntry Server(AppEntry app, string vip, int port, int nodePort, ulong inode) => new()
    {
        App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(IPAddress.Parse(vip), port),
        Node = new IPEndPoint(NodeAddress, nodePort), Inode = inode,
    };

    [Fact]
    public void ServersOfAVirtualIpAreFoundByEitherSpellingOfTheAddress()
    {
        var app = App("a1", "198.18.0.1");
        _table.AddApp(app);
        _table.AddServer(Server(app, "198.18.0.1", 80, 40000, 7));

        Assert.Single(_table.ServersFor(IPAddress.Parse("198.18.0.1"), 80, Transport.Tcp));
        Assert.Single(_table.ServersFor(IPAddress.Parse("::ffff:198.18.0.1"), 80, Transport.Tcp));
        Assert.Empty(_table.ServersFor(IPAddress.Parse("198.18.0.1"), 81, Transport.Tcp));
        Assert.Empty(_table.ServersFor(IPAddress.Parse("198.18.0.1"), 80, Transport.Udp));
        Assert.Equal(app.Id, _table.ServerAtNode(NodeAddress, 40000)!.App.Id);
    }

    [Fact]
    public void AVirtualIpStaysVirtualWithoutServersButTheNodeAddressNeverIs()
    {
        _table.AddApp(App("a1", "198.18.0.1"));
        Assert.True(_table.IsVirtual(IPAddress.Parse("198.18.0.1")));
        Assert.False(_table.IsVirtual(IPAddress.Parse("198.18.0.2")));

        var nodeApp = App("a2", null); // an app without --ip publishes on the node address
        _table.AddApp(nodeApp);
        _table.AddServer(Server(nodeApp, "10.77.0.10", 8000, 40001, 8));
        Assert.False(_table.IsVirtual(NodeAddress));
    }

    [Fact]
    public void RemovingAnAppRemovesItsServersSocketsAndVirtualIp()
    {
        var a = App("a1", "198.18.0.1");
        var b = App("b1", "198.18.0.1");
        _table.AddApp(a);
        _table.AddApp(b);
        _table.AddServer(Server(a, "198.18.0.1", 80, 40000, 1));
        _table.AddServer(Server(b, "198.18.0.1", 80, 40001, 2));

        Assert.True(_table.RemoveApp("a1"));

        var left = _table.ServersFor(IPAddress.Parse("198.18.0.1"), 80, Transport.Tcp);
        Assert.Equal("b1", Assert.Single(left).App.Id);
        Assert.Null(_table.ServerAtNode(NodeAddress, 40000));
        Assert.True(_table.IsVirtual(IPAddress.Parse("198.18.0.1"))); // b still uses it
        Assert.True(_table.RemoveApp("b1"));
        Assert.False(_table.IsVirtual(IPAddress.Parse("198.18.0.1")));
        Assert.False(_table.RemoveApp("b1"));
    }

    [Fact]
    public void RecordsShowTheAppIpOrTheNodeAddress()
    {
        _table.AddApp(App("a1", "198.18.0.1"));
        _table.AddApp(App("a2", null));
        var ips = _table.AppRecords().ToDictionary(r => r.AppId, r => r.AppIp);
        Assert.Equal("198.18.0.1", ips["a1"]);
        Assert.Equal("10.77.0.10", ips["a2"]);
    }
}
