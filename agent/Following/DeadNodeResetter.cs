using AppSwitch.Agent.Metrics;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Following;

/// <summary>
/// TCP connections of this node's apps to instances on a node the cluster declared dead are aborted (SOCK_DESTROY):
/// the dead node would never answer, and without this the app waits for its own timeouts (a read, hours). The app's
/// pending or next call fails with ECONNABORTED at once. Connections to live nodes are never touched: only sockets the
/// agent connected to an instance on that node's address are chosen, by inode.
/// </summary>
internal sealed class DeadNodeResetter(ServiceTable table, AgentMetrics metrics, ILogger<DeadNodeResetter> logger)
{
    private static readonly KeyValuePair<string, object?> Tcp = MetricLabels.Tag("transport", "tcp");
    private static readonly KeyValuePair<string, object?> Reset = MetricLabels.Tag("outcome", "reset");

    public void ResetConnectionsTo(RemoteNodeRef node)
    {
        var address = Common.Net.IpAddresses.Normalize(node.Address);
        var doomed = table.Peers.Connections(Transport.Tcp)
            .Where(c => Common.Net.IpAddresses.Normalize(c.Target.Target.Address).Equals(address))
            .ToDictionary(c => c.Inode);
        if (doomed.Count == 0) return;
        foreach (var family in new[] { AF.INET, AF.INET6 })
        {
            var sockets = TcpSocketDiag.Connections(family);
            if (sockets is null)
            {
                logger.LogWarning("Cannot list the node's TCP connections (sock_diag): connections to dead node {Node} are left to their timeouts", node.Name);
                return;
            }
            foreach (var socket in sockets)
            {
                if (!doomed.Remove(socket.Inode, out var connection)) continue;
                var error = TcpSocketDiag.Destroy(socket);
                if (error == Errno.ENOENT) continue; // closed meanwhile
                if (error != Errno.None)
                {
                    logger.LogWarning("App {AppId}: cannot reset the TCP connection to {Virtual} (instance {Target} on dead node {Node}): {Errno}",
                        connection.App.Id, connection.VirtualPeer, connection.Target.Target, node.Name, error);
                    continue;
                }
                metrics.SocketsFollowed.Add(1, Tcp, Reset);
                logger.LogInformation("App {AppId}: TCP connection to {Virtual} reset: its instance {Target} was on node {Node}, declared dead",
                    connection.App.Id, connection.VirtualPeer, connection.Target.Target, node.Name);
            }
        }
    }
}
