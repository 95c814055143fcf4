using System.Net;
using AppSwitch.Agent.L7;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Decides where a connect really goes: a vservice's ip:vport becomes one of its backends on the aport; a virtual
/// ip:port becomes the node address of one of its servers that shares a label with the client (chosen at random),
/// or, when the servers' app is a named service with route rules, of the instance those rules choose; when
/// those servers are `http` endpoints and a rule of the service needs request-level work, the agent's HTTP relay;
/// other addresses go to the node's network.
/// </summary>
internal sealed class ConnectTargetResolver(ServiceTable table, BackendPicker picker, HttpRelay relay, ILogger logger)
{
    private readonly RouteRulePicker _routes = new(table);

    /// <summary>Where to connect, or null with the errno to return (ECONNREFUSED: nobody serves it for this client).</summary>
    public ConnectTarget? Resolve(AppSession client, IPEndPoint destination, Transport transport, out int errno)
    {
        var address = ServiceTable.Normalize(destination.Address);
        if (table.FindVService(address) is { } vservice) return ResolveVService(client, vservice, destination.Port, transport, out errno);
        return ResolveDirect(client, new IPEndPoint(address, destination.Port), transport, out errno, out var relayRoute) is { } target
            ? new ConnectTarget(target, null, relayRoute) : null;
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
        var target = ResolveDirect(client, backend, transport, out errno, out var relayRoute);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: vservice {VService} port {Port} -> backend {Backend} -> {Target}",
                client.App.Id, vservice.Name, port, backend, target?.ToString() ?? "refused");
        return target is null ? null : new ConnectTarget(target, vservice.SourceIp, relayRoute);
    }

    private IPEndPoint? ResolveDirect(AppSession client, IPEndPoint destination, Transport transport, out int errno, out RelayRoute? relayRoute)
    {
        errno = 0;
        relayRoute = null;
        var address = destination.Address;
        var servers = table.ServersFor(address, destination.Port, transport);
        if (servers.Count > 0)
        {
            // Amalgam8 route rules of the destination's service; without any rule this is one field read.
            if (table.Rules.HasRoutes && servers[0].App.Name is { Length: > 0 } service)
            {
                if (transport == Transport.Tcp && relay.EndPoint is { } relayEndPoint && table.Rules.NeedsHttp(service) && AllHttp(servers))
                {
                    // Each request is routed by the relay (rules read per request), so the connection goes there whole.
                    relayRoute = new RelayRoute(client.App, service, destination);
                    if (logger.IsEnabled(LogLevel.Debug))
                        logger.LogDebug("App {AppId}: {Destination} is http service {Service} with request-level rules -> HTTP relay {Relay}",
                            client.App.Id, destination, service, relayEndPoint);
                    return relayEndPoint;
                }
                var routed = _routes.Pick(client.App, service, destination.Port, transport, s => LabelAccess.Allows(client.App.Labels, s.App.Labels),
                    out var rule);
                if (rule is not null)
                {
                    if (logger.IsEnabled(LogLevel.Debug))
                        logger.LogDebug("App {AppId}: {Destination} is service {Service}; rule {Rule} -> {Target}", client.App.Id, destination,
                            service, rule.Id, routed?.Virtual.ToString() ?? "refused (no instance of its backends)");
                    if (routed is not null) return routed.Node;
                    errno = Libc.ECONNREFUSED;
                    return null;
                }
            }
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

    private static bool AllHttp(IReadOnlyList<ServerEntry> servers)
    {
        foreach (var server in servers)
            if (!server.App.Protocol.Equals("http", StringComparison.OrdinalIgnoreCase)) return false;
        return true;
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
