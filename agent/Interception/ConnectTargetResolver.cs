using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Decides where a connect really goes: a vservice's ip:vport becomes one of its backends on the aport; a virtual
/// ip:port becomes the node address of one of its servers that shares a label with the client (chosen at random);
/// other addresses go to the node's network.
/// </summary>
internal sealed class ConnectTargetResolver(ServiceTable table, BackendPicker picker, ILogger logger,
    Func<Transport, IPEndPoint?>? dnsRedirect = null)
{
    private const int DnsPort = 53;

    /// <summary>Where to connect, or null with the errno to return (ECONNREFUSED: nobody serves it for this client).</summary>
    public ConnectTarget? Resolve(AppSession client, IPEndPoint destination, Transport transport, out int errno)
    {
        var address = ServiceTable.Normalize(destination.Address);
        // Only node sockets get here with a loopback address: the app's 127.0.0.1:53 is the agent's DNS.
        if (IPAddress.IsLoopback(address) && destination.Port == DnsPort && dnsRedirect?.Invoke(transport) is { } dns)
        {
            errno = 0;
            return new ConnectTarget(dns, null);
        }
        if (table.FindVService(address) is { } vservice) return ResolveVService(client, vservice, destination.Port, transport, out errno);
        return ResolveDirect(client, new IPEndPoint(address, destination.Port), transport, out errno) is { } target
            ? new ConnectTarget(target, null) : null;
    }

    /// <summary>A backend in turn, then resolved exactly as a direct connect to backend:aport (labels included).</summary>
    private ConnectTarget? ResolveVService(AppSession client, VServiceEntry vservice, int port, Transport transport, out int errno)
    {
        if (!vservice.Ports.TryGetValue(port, out var aport))
        {
            logger.LogDebug("App {AppId}: vservice {VService} has no port {Port}", client.App.Id, vservice.Name, port);
            errno = Libc.ECONNREFUSED; // as a closed port would answer
            return null;
        }
        var backend = new IPEndPoint(picker.Pick(vservice), aport);
        var target = ResolveDirect(client, backend, transport, out errno);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: vservice {VService} port {Port} -> backend {Backend} -> {Target}",
                client.App.Id, vservice.Name, port, backend, target?.ToString() ?? "refused");
        return target is null ? null : new ConnectTarget(target, vservice.SourceIp);
    }

    private IPEndPoint? ResolveDirect(AppSession client, IPEndPoint destination, Transport transport, out int errno)
    {
        errno = 0;
        var address = destination.Address;
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
        return destination; // not virtual: the node's own network
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
