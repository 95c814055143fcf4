using AppSwitch.Agent.Metrics;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Following;

/// <summary>
/// TCP connections of this node's apps to instances on a node the cluster declared dead are reset: the dead node would
/// never answer, and without this the app waits for its own timeouts (a read, hours). First with an RST as if from the
/// dead peer (<see cref="TcpResetInjector"/>: the app's pending or next call fails with ECONNRESET, as for any peer's
/// reset); when that cannot be done, with SOCK_DESTROY (ECONNABORTED). Connections to live nodes are never touched: only
/// sockets the agent connected to an instance on that node's address are chosen, by inode.
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
        using var injector = new TcpResetInjector();
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
                if (injector.TryReset(connection, out var why))
                {
                    Count(connection, node, "an injected RST (the app sees ECONNRESET)");
                    continue;
                }
                var error = TcpSocketDiag.Destroy(socket);
                if (error == Errno.ENOENT) continue; // closed meanwhile
                if (error != Errno.None)
                {
                    logger.LogWarning("App {AppId}: cannot reset the TCP connection to {Virtual} (instance {Target} on dead node {Node}): no RST ({Why}), SOCK_DESTROY: {Errno}",
                        connection.App.Id, connection.VirtualPeer, connection.Target.Target, node.Name, why, error);
                    continue;
                }
                Count(connection, node, $"SOCK_DESTROY (the app sees ECONNABORTED; no RST: {why})");
            }
        }
    }

    private void Count(PeerConnection connection, RemoteNodeRef node, string how)
    {
        metrics.SocketsFollowed.Add(1, Tcp, Reset);
        logger.LogInformation("App {AppId}: TCP connection to {Virtual} reset by {How}: its instance {Target} was on node {Node}, declared dead",
            connection.App.Id, connection.VirtualPeer, how, connection.Target.Target, node.Name);
    }
}
