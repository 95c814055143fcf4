using AppSwitch.Agent.Api;
using System.Net;
using System.Text;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class ReplicationTests
{
    private static readonly RemoteNodeRef NodeB = new("node-b", IPAddress.Parse("10.77.0.12"));
    private readonly ServiceTable _table = new(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));

    private static (AppEntry[] Apps, ServerEntry[] Servers) OneServer(string vip, int nodePort)
    {
        var app = new AppEntry { Id = "b0000001", Name = "web", VirtualIp = IPAddress.Parse(vip), Pid = 42, Labels = new Dictionary<string, string> { ["zone"] = "prod" } };
        var server = new ServerEntry
        {
            App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(app.VirtualIp!, 80),
            Node = new IPEndPoint(NodeB.Address, nodePort), Inode = 99,
        };
        return ([app], [server]);
    }

    [Fact]
    public void APublicationDecodesIntoReplicaEntriesOfItsNode()
    {
        var (apps, servers) = OneServer("198.18.0.1", 40001);
        var bytes = NodeStateCodec.Encode(apps, servers);

        var (replicaApps, replicaServers) = NodeStateCodec.Decode(bytes, NodeB);

        var app = Assert.Single(replicaApps);
        Assert.Equal(("b0000001", "web", "198.18.0.1", "prod", NodeB), (app.Id, app.Name, app.VirtualIp!.ToString(), app.Labels["zone"], app.RemoteNode));
        var server = Assert.Single(replicaServers);
        Assert.Same(app, server.App);
        Assert.Equal("10.77.0.12:40001", server.Node.ToString());
    }

    [Fact]
    public void Apps_show_the_egress_policy_of_their_own_node()
    {
        var (apps, servers) = OneServer("198.18.0.1", 40001);
        var (replicaApps, replicaServers) = NodeStateCodec.Decode(NodeStateCodec.Encode(apps, servers, egress: "deny except 10.0.0.0/8:443"), NodeB);
        var table = new ServiceTable(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11"))) { Egress = "deny" };
        table.AddApp(new AppEntry { Id = "a0000001", Name = "local" });
        table.ReplaceRemote(NodeB, replicaApps, replicaServers);
        // A publication of an older agent carries no policy: shown as unknown (empty), not as this node's.
        var (oldApps, _) = NodeStateCodec.Decode(Encoding.UTF8.GetBytes("{\"v\":1,\"apps\":[{\"id\":\"c0000001\"}]}"), new RemoteNodeRef("node-c", IPAddress.Parse("10.77.0.13")));
        table.ReplaceRemote(new RemoteNodeRef("node-c", IPAddress.Parse("10.77.0.13")), oldApps, []);

        var egress = table.AppRecords().ToDictionary(a => a.AppId, a => a.Egress);
        Assert.Equal(("deny", "deny except 10.0.0.0/8:443", ""), (egress["a0000001"], egress["b0000001"], egress["c0000001"]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{\"v\":2}")]
    [InlineData("{\"v\":1,\"servers\":[{\"appId\":\"nope\",\"proto\":\"tcp\",\"virtual\":\"1.2.3.4:1\",\"node\":\"1.2.3.4:2\"}]}")]
    [InlineData("{\"v\":1,\"apps\":[{\"id\":\"a\"}],\"servers\":[{\"appId\":\"a\",\"proto\":\"sctp\",\"virtual\":\"1.2.3.4:1\",\"node\":\"1.2.3.4:2\"}]}")]
    [InlineData("{\"v\":1,\"apps\":[{\"id\":\"a\",\"ip\":\"not-an-ip\"}]}")]
    // Found by the gossip-state fuzz target (each was a NullReferenceException out of the replicator, which catches
    // only FormatException): a rule without an id (the source-generated reader leaves the string null), null entries.
    [InlineData("{\"v\":1,\"rules\":[{\"destination\":\"web\",\"route\":{\"backends\":[{\"tags\":[\"version=v1\"]}]}}]}")]
    [InlineData("{\"v\":1,\"rules\":[{\"id\":\"r\",\"route\":{\"backends\":[{\"tags\":[\"version=v1\"]}]}}]}")]
    [InlineData("{\"v\":1,\"rules\":[null]}")]
    [InlineData("{\"v\":1,\"rules\":[{\"id\":\"r\",\"destination\":\"web\",\"route\":{\"backends\":[null]}}]}")]
    [InlineData("{\"v\":1,\"rules\":[{\"id\":\"r\",\"destination\":\"web\",\"route\":{}}]}")]
    [InlineData("{\"v\":1,\"rules\":[{\"id\":\"r\",\"destination\":\"web\",\"actions\":[null]}]}")]
    [InlineData("{\"v\":1,\"rules\":[{\"id\":\"r\",\"destination\":\"web\",\"actions\":[{\"tags\":[\"version=v1\"]}]}]}")]
    [InlineData("{\"v\":1,\"apps\":[null]}")]
    [InlineData("{\"v\":1,\"apps\":[{\"id\":\"a\",\"labels\":{\"zone\":null}}]}")]
    [InlineData("{\"v\":1,\"apps\":[{\"id\":\"a\",\"command\":[null]}]}")]
    [InlineData("{\"v\":1,\"servers\":[null]}")]
    [InlineData("{\"v\":1,\"vServices\":[null]}")]
    public void AnythingElseIsAFormatError(string json)
    {
        Assert.Throws<FormatException>(() => NodeStateCodec.Decode(Encoding.UTF8.GetBytes(json), NodeB));
    }

    [Fact]
    public void RemoteServersServeConnectsUntilTheirNodeGoes()
    {
        var (apps, servers) = OneServer("198.18.0.1", 40001);
        _table.ReplaceRemote(NodeB, apps, servers);

        var found = Assert.Single(_table.ServersFor(IPAddress.Parse("198.18.0.1"), 80, Transport.Tcp));
        Assert.Equal(NodeB.Address, found.Node.Address);
        Assert.True(_table.IsVirtual(IPAddress.Parse("198.18.0.1")));
        Assert.False(_table.IsVirtual(NodeB.Address)); // the other node's own ports are not virtual
        Assert.Equal("node-b", Assert.Single(_table.ServerRecords()).NodeId);
        Assert.Equal("node-b", Assert.Single(_table.AppRecords()).NodeId);

        // A newer publication replaces the old one entirely.
        var (apps2, servers2) = OneServer("198.18.0.1", 40002);
        _table.ReplaceRemote(NodeB, apps2, servers2);
        Assert.Equal(40002, Assert.Single(_table.ServersFor(IPAddress.Parse("198.18.0.1"), 80, Transport.Tcp)).Node.Port);

        Assert.True(_table.RemoveRemote("node-b"));
        Assert.Empty(_table.ServersFor(IPAddress.Parse("198.18.0.1"), 80, Transport.Tcp));
        Assert.False(_table.IsVirtual(IPAddress.Parse("198.18.0.1")));
        Assert.Empty(_table.AppRecords());
    }

    [Fact]
    public void Replicas_publish_revisions_but_are_not_written_ahead()
    {
        var recorded = new List<TableChange>();
        _table.Revisions.WriteAhead = new RecordingWriteAhead(recorded);
        var revisions = _table.Revisions.Subscribe();
        var before = _table.Revisions.Current;
        var (apps, servers) = OneServer("198.18.0.1", 40001);
        _table.ReplaceRemote(NodeB, apps, servers);
        _table.RemoveRemote("node-b");
        Assert.Equal(before + 2, _table.Revisions.Current);
        Assert.True(revisions.TryRead(out var latest));
        Assert.Equal(before + 2, latest); // one waiting revision, the newest: no queue
        Assert.False(revisions.TryRead(out _));
        Assert.All(recorded, c => Assert.Equal(TableChangeKind.Derived, c.Kind));
    }

    private sealed class RecordingWriteAhead(List<TableChange> recorded) : ITableWriteAhead
    {
        public void Record(in TableChange change) => recorded.Add(change);
    }
}
