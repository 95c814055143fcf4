using System.Net;
using AppSwitch.Agent.Metrics;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Following;

/// <summary>
/// Connected UDP sockets follow their service: a socket whose instance the routing no longer leads to (the app left,
/// its node died, a rule or vservice change dropped it) is connected in place to the instance a connect would get now;
/// with no other instance it keeps its peer (and moves once one appears). Run after every table change. With the socket
/// lock, the socket's datagram translation is moved too, so answers from the new instance still show the virtual ip:port.
/// </summary>
internal sealed class UdpRepointer(ServiceTable table, IConnectRouter router, AgentMetrics metrics, ILogger<UdpRepointer> logger,
    DatagramTranslations? translations = null)
{
    private static readonly KeyValuePair<string, object?> Udp = MetricLabels.Tag("transport", "udp");
    private static readonly KeyValuePair<string, object?> Repointed = MetricLabels.Tag("outcome", "repointed");
    private static readonly KeyValuePair<string, object?> Kept = MetricLabels.Tag("outcome", "kept");

    // Sockets told (and counted) to keep their peer, with that peer: once each, not at every change.
    private readonly HashSet<(ulong Inode, IPEndPoint Target)> _kept = [];

    public void FollowAll()
    {
        var connections = table.Peers.Connections(Transport.Udp);
        HashSet<ulong>? open = null;
        foreach (var connection in connections)
        {
            if (router.StillLeadsTo(connection.App, connection.VirtualPeer, Transport.Udp, connection.Target.Target)) continue;
            open ??= SockDiag.ListeningAndUdpInodes();
            if (open is not null && !open.Contains(connection.Inode))
            {
                table.Peers.Forget(connection.Inode); // closed by its app
                continue;
            }
            Follow(connection);
        }
        if (_kept.Count == 0) return;
        var current = connections.Select(c => (c.Inode, c.Target.Target)).ToHashSet();
        _kept.RemoveWhere(k => !current.Contains(k)); // moved or closed since
    }

    private void Follow(PeerConnection connection)
    {
        var old = connection.Target.Target;
        var next = router.Route(connection.App, connection.VirtualPeer, Transport.Udp);
        // Null, or the virtual address itself once nothing in the table claims it (the node's network would not reach it).
        if (next is null || next.EndPoint.Equals(old) || next.EndPoint.Equals(connection.VirtualPeer))
        {
            if (!_kept.Add((connection.Inode, old))) return;
            metrics.SocketsFollowed.Add(1, Udp, Kept);
            logger.LogInformation("App {AppId}: connected UDP socket to {Virtual}: instance {Old} left and no other serves it; it keeps its peer",
                connection.App.Id, connection.VirtualPeer, old);
            return;
        }
        using var socket = AppSocketFinder.Find(connection);
        if (socket is null || !SocketCalls.TryGetKind(socket.Fd, out var kind))
        {
            table.Peers.Forget(connection.Inode); // no process of the app holds it any more
            return;
        }
        var connected = SocketCalls.Connect(socket.Fd, next.EndPoint, kind.Domain);
        if (connected.IsError)
        {
            logger.LogWarning("App {AppId}: connected UDP socket to {Virtual} could not move from {Old} to {New}: {Errno}",
                connection.App.Id, connection.VirtualPeer, old, next.EndPoint, connected.Error);
            return;
        }
        // The reverse entry before the app's next answer: it must come back as from the virtual ip:port it connected to.
        translations?.Record(DatagramTranslations.CookieOf(socket.Fd), connection.VirtualPeer, next.EndPoint);
        table.Peers.Retarget(connection.Inode, next.EndPoint);
        metrics.SocketsFollowed.Add(1, Udp, Repointed);
        logger.LogInformation("App {AppId}: connected UDP socket to {Virtual} moved from instance {Old} (no longer chosen) to {New}",
            connection.App.Id, connection.VirtualPeer, old, next.EndPoint);
    }
}
