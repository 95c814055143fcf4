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
/// a server's node ip:port is decided as its virtual ip:port (that server or nothing); the agent's own ports are
/// refused; other addresses go to the node's network if the egress policy allows them.
/// Every refusal is ECONNREFUSED, as a closed port answers: the app learns nothing about what it may not reach.
/// </summary>
internal sealed class ConnectTargetResolver(ServiceTable table, BackendPicker picker, ILogger logger,
    Func<Transport, IPEndPoint?>? dnsRedirect = null, HttpRelay? httpRelay = null, AgentEndPoints? agentEndPoints = null,
    EgressPolicy? egress = null)
{
    private readonly EgressPolicy _egress = egress ?? EgressPolicy.AllowAll;
    private readonly RouteRulePicker _routes = new(table);
    private readonly KubernetesTargetPicker _kubernetes = new(table);
    private const int DnsPort = 53;

    /// <summary>Where to connect, or null with the errno to return (ECONNREFUSED: nobody serves it for this client).</summary>
    public ConnectTarget? Resolve(AppSession client, IPEndPoint destination, Transport transport, out Errno errno)
    {
        var address = ServiceTable.Normalize(destination.Address);
        // Only node sockets get here with a loopback address: the app's 127.0.0.1:53 is the agent's DNS.
        if (IPAddress.IsLoopback(address) && destination.Port == DnsPort && dnsRedirect?.Invoke(transport) is { } dns)
        {
            errno = Errno.None;
            return new ConnectTarget(dns, null);
        }
        var direct = new IPEndPoint(address, destination.Port);
        if (table.FindVService(address) is { } vservice) return ResolveVService(client.App, vservice, destination.Port, transport, out errno);
        if (!table.Kubernetes.IsEmpty && table.Kubernetes.IsClusterIp(address))
            return ResolveClusterIp(client.App, address, destination.Port, transport, out errno);
        if (table.ServerAtNode(address, destination.Port) is { } published && published.Transport == transport && !published.Virtual.Equals(direct))
            return ResolveNodeEndPoint(client.App, published, direct, transport, out errno);
        var target = ResolveDirect(client.App, direct, transport, out errno, out var relayRoute);
        if (target is null) return null;
        // ResolveDirect hands back the destination itself only when it is on the node's network (nothing virtual).
        if (!ReferenceEquals(target, direct)) return new ConnectTarget(target, null, relayRoute);
        // The agent's own ports are node addresses, never virtual ones: checked only here, off the virtual IPs' path.
        if (agentEndPoints?.Find(direct, transport) is { } agentPort)
        {
            logger.LogDebug("App {AppId}: {Destination}/{Transport} is the agent's own {Port} port: refused", client.App.Id, direct, transport, agentPort);
            errno = Errno.ECONNREFUSED;
            return null;
        }
        if (transport == Transport.Tcp && Relay.RelayPlanner.RouteAt(table, direct) is { } relayed)
            return ResolveRelayListener(client.App, relayed, direct, transport, out errno);
        if (!_egress.Allows(address, destination.Port))
        {
            logger.LogDebug("App {AppId}: {Destination}/{Transport} is outside AppSwitch and the egress policy ({Egress}) refuses it",
                client.App.Id, direct, transport, _egress);
            errno = Errno.ECONNREFUSED;
            return null;
        }
        return new ConnectTarget(target, null);
    }

    /// <summary>
    /// A relay listener (an `--expose` or external vservice port of a node, meant for clients outside AppSwitch),
    /// dialled by an app: decided as what the relay leads to, with the app's labels — the app's server's node endpoint,
    /// or the vservice's vport — so the relay opens nothing to apps that their labels would not.
    /// </summary>
    private ConnectTarget? ResolveRelayListener(AppEntry client, Relay.RelayRoute relayed, IPEndPoint destination, Transport transport, out Errno errno)
    {
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: {Destination} is a relay listener ({Route}): decided as its route", client.Id, destination, relayed);
        switch (relayed)
        {
            case Relay.ExposeRoute expose when table.ServerOfApp(expose.NodeName, expose.AppId, expose.AppPort, transport) is { } server:
                return ResolveNodeEndPoint(client, server, destination, transport, out errno);
            case Relay.VServiceRoute route when table.AllVServices().FirstOrDefault(v => v.Name == route.Name
                                                                              && (v.RemoteNode?.Name ?? table.Node.Name) == route.Owner) is { } vservice:
                return ResolveVService(client, vservice, route.VPort, transport, out errno);
            default:
                errno = Errno.ECONNREFUSED; // the relay would reset it: nobody serves it now
                return null;
        }
    }

    /// <summary>
    /// A server's node ip:port, dialled directly: decided as a connect to its virtual ip:port (labels, route rules,
    /// the HTTP relay) with that one server as the only candidate, so the node endpoint opens nothing the virtual
    /// address would not.
    /// </summary>
    private ConnectTarget? ResolveNodeEndPoint(AppEntry client, ServerEntry server, IPEndPoint destination, Transport transport, out Errno errno)
    {
        var target = ResolveDirect(client, server.Virtual, transport, out errno, out var relayRoute, only: server);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: {Destination} is the node endpoint of server {Virtual} (app {Server}) -> {Target}",
                client.Id, destination, server.Virtual, server.App.Id, target?.ToString() ?? "refused");
        return target is null ? null : new ConnectTarget(target, null, relayRoute);
    }

    /// <summary>
    /// Where a connection from outside AppSwitch (a relay's client, which has no labels) to a vservice's vport goes:
    /// the same backend choice and resolution as for an app, every server being reachable.
    /// </summary>
    public ConnectTarget? ResolveForOutsider(VServiceEntry vservice, int port, Transport transport, out Errno errno) =>
        ResolveVService(null, vservice, port, transport, out errno);

    /// <summary>A backend in turn, then resolved exactly as a direct connect to backend:aport (labels included).</summary>
    private ConnectTarget? ResolveVService(AppEntry? client, VServiceEntry vservice, int port, Transport transport, out Errno errno)
    {
        if (!vservice.Ports.TryGetValue(port, out var aport))
        {
            logger.LogDebug("App {AppId}: vservice {VService} has no port {Port}", client?.Id ?? "(outside)", vservice.Name, port);
            errno = Errno.ECONNREFUSED; // as a closed port would answer
            return null;
        }
        var backend = new IPEndPoint(picker.Pick(vservice), aport);
        var target = ResolveDirect(client, backend, transport, out errno, out var relayRoute);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: vservice {VService} port {Port} -> backend {Backend} -> {Target}",
                client?.Id ?? "(outside)", vservice.Name, port, backend, target?.ToString() ?? "refused");
        return target is null ? null : new ConnectTarget(target, vservice.SourceIp, relayRoute);
    }

    /// <summary>A Kubernetes Service's ClusterIP:port → a ready endpoint (pod ip:port) on the node's network.</summary>
    private ConnectTarget? ResolveClusterIp(AppEntry client, IPAddress address, int port, Transport transport, out Errno errno)
    {
        errno = Errno.None;
        var service = table.Kubernetes.FindVirtual(address, port);
        IPEndPoint? target = null;
        Common.Rules.Rule? rule = null;
        if (service is not null && (service.Type == "udp") == (transport == Transport.Udp))
            target = _kubernetes.Pick(client, service, out rule);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: {Address}:{Port} is Kubernetes service {Service}; rule {Rule} -> {Target}", client.Id, address, port,
                service?.Service ?? "(no such port)", rule?.Id ?? "none", target?.ToString() ?? "refused");
        if (target is null) errno = Errno.ECONNREFUSED;
        return target is null ? null : new ConnectTarget(target, null);
    }

    /// <param name="client">The app connecting; null for a client outside AppSwitch, which may reach every server.</param>
    /// <param name="only">The one server that may be chosen (a connect to its node endpoint); null: any of the destination's.</param>
    private IPEndPoint? ResolveDirect(AppEntry? client, IPEndPoint destination, Transport transport, out Errno errno, out RelayRoute? relayRoute,
        ServerEntry? only = null)
    {
        errno = Errno.None;
        relayRoute = null;
        var address = destination.Address;
        var servers = only is null ? table.ServersFor(address, destination.Port, transport) : [only];
        if (servers.Count > 0)
        {
            // Amalgam8 route rules of the destination's service; without any rule this is one field read.
            if (table.Rules.HasRoutes && servers[0].App.Name is { Length: > 0 } service)
            {
                // An app's connection (not a relay's outside client) to http instances needing request-level rules:
                // each request is routed by the HTTP relay (rules read per request), so the connection goes there whole.
                if (client is not null && transport == Transport.Tcp && httpRelay?.EndPoint is { } relayEndPoint && table.Rules.NeedsHttp(service)
                    && AllHttp(servers))
                {
                    relayRoute = new RelayRoute(client, service, destination);
                    if (logger.IsEnabled(LogLevel.Debug))
                        logger.LogDebug("App {AppId}: {Destination} is http service {Service} with request-level rules -> HTTP relay {Relay}",
                            client.Id, destination, service, relayEndPoint);
                    return relayEndPoint;
                }
                var routed = _routes.Pick(client, service, destination.Port, transport,
                    s => (only is null || s == only) && (client is null || LabelAccess.Allows(client.Labels, s.App.Labels)), out var rule);
                if (rule is not null)
                {
                    if (logger.IsEnabled(LogLevel.Debug))
                        logger.LogDebug("App {AppId}: {Destination} is service {Service}; rule {Rule} -> {Target}", client?.Id ?? "(outside)", destination,
                            service, rule.Id, routed?.Virtual.ToString() ?? "refused (no instance of its backends)");
                    if (routed is not null) return routed.Node;
                    errno = Errno.ECONNREFUSED;
                    return null;
                }
            }
            var reachable = client is null ? servers : Reachable(client, servers);
            if (reachable.Count > 0) return reachable[reachable.Count == 1 ? 0 : Random.Shared.Next(reachable.Count)].Node;
            if (logger.IsEnabled(LogLevel.Debug))
                logger.LogDebug("App {AppId} (labels {Labels}) may not reach {Destination}: none of its {Count} servers shares a label",
                    client!.Id, string.Join(",", client.Labels.Select(l => $"{l.Key}={l.Value}")), destination, servers.Count);
            errno = Errno.ECONNREFUSED; // as if nobody listened: the client learns nothing about other zones
            return null;
        }
        if (table.IsVirtual(address))
        {
            errno = Errno.ECONNREFUSED;
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
