using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Decides where a connect really goes: a virtual ip:port becomes the node address of one of its servers
/// that shares a label with the client (chosen at random); other addresses go to the node's network.
/// </summary>
internal sealed class ConnectTargetResolver(ServiceTable table, ILogger logger)
{
    /// <summary>The node endpoint to connect to, or null with the errno to return (ECONNREFUSED: nobody serves it for this client).</summary>
    public IPEndPoint? Resolve(AppSession client, IPEndPoint destination, Transport transport, out int errno)
    {
        errno = 0;
        var address = ServiceTable.Normalize(destination.Address);
        var servers = table.ServersFor(address, destination.Port, transport);
        if (servers.Count > 0)
        {
            var reachable = Reachable(client.App, servers);
            if (reachable.Count > 0) return reachable[reachable.Count == 1 ? 0 : Random.Shared.Next(reachable.Count)].Node;
            if (logger.IsEnabled(LogLevel.Debug))
                logger.LogDebug("App {AppId} (labels {Labels}) may not reach {Destination}: none of its {Count} servers shares a label",
                    client.App.Id, string.Join(",", client.App.Labels.Select(l => $"{l.Key}={l.Value}")), destination, servers.Count);
            errno = Libc.ECONNREFUSED; // as if nobody listened: the client learns nothing about other zones
            return null;
        }
        if (table.IsVirtual(address))
        {
            errno = Libc.ECONNREFUSED;
            return null;
        }
        return new IPEndPoint(address, destination.Port); // not virtual: the node's own network
    }

    private static IReadOnlyList<ServerEntry> Reachable(AppEntry client, IReadOnlyList<ServerEntry> servers)
    {
        // The common case (everyone in zone=default) allocates nothing.
        var all = true;
        foreach (var server in servers)
            if (!LabelAccess.Allows(client.Labels, server.App.Labels)) { all = false; break; }
        return all ? servers : servers.Where(s => LabelAccess.Allows(client.Labels, s.App.Labels)).ToList();
    }
}
