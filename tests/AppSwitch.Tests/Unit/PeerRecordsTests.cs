using System.Net;
using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The agent's record of which app socket went to which instance (getpeername, and the follower's input).</summary>
public sealed class PeerRecordsTests
{
    private static readonly IPEndPoint Vip = IPEndPoint.Parse("198.18.0.1:53");
    private static readonly IPEndPoint InstanceA = IPEndPoint.Parse("10.77.0.11:40001"), InstanceB = IPEndPoint.Parse("10.77.0.12:40002");
    private readonly AppEntry _app = new() { Id = "a" }, _other = new() { Id = "b" };
    private readonly PeerRecords _peers = new();

    [Fact]
    public void Connections_list_each_transports_followable_sockets_and_follow_a_retarget_and_forgets()
    {
        _peers.Record(1, _app, Vip, new PeerTarget(InstanceA, Transport.Udp, 100, 5));
        _peers.Record(2, _app, Vip, new PeerTarget(InstanceA, Transport.Tcp, 100, 6));
        _peers.Record(3, _other, Vip, new PeerTarget(InstanceA, Transport.Udp, 200, 5));
        _peers.Record(4, _app, Vip); // getpeername only: nothing to follow
        Assert.Equal([1UL, 3UL], _peers.Connections(Transport.Udp).Select(c => c.Inode).Order());
        Assert.Equal([2UL], _peers.Connections(Transport.Tcp).Select(c => c.Inode));
        Assert.Equal(Vip, _peers.Find(4));

        _peers.Retarget(1, InstanceB);
        var moved = Assert.Single(_peers.Connections(Transport.Udp), c => c.Inode == 1);
        Assert.Equal(new PeerTarget(InstanceB, Transport.Udp, 100, 5), moved.Target);
        Assert.Equal(Vip, moved.VirtualPeer);

        _peers.Forget(3);
        Assert.Equal([1UL], _peers.Connections(Transport.Udp).Select(c => c.Inode));
        _peers.ForgetApp(_app);
        Assert.Empty(_peers.Connections(Transport.Udp));
        Assert.Empty(_peers.Connections(Transport.Tcp));
        Assert.Null(_peers.Find(4));
    }

    [Fact]
    public void The_oldest_records_go_first_past_the_capacity_udp_ones_included()
    {
        for (ulong inode = 1; inode <= PeerRecords.Capacity + 2; inode++)
            _peers.Record(inode, _app, Vip, new PeerTarget(InstanceA, inode % 2 == 0 ? Transport.Tcp : Transport.Udp, 1, 3));
        var udp = _peers.Connections(Transport.Udp).Select(c => c.Inode).ToHashSet();
        Assert.DoesNotContain(1UL, udp);
        Assert.Null(_peers.Find(2));
        Assert.Contains((ulong)PeerRecords.Capacity + 1, udp);
        Assert.Equal(PeerRecords.Capacity / 2, udp.Count);
    }
}
