using AppSwitch.Common.Net;
using System.Net;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Decides where a connect really goes: a vservice's ip:vport becomes one of its backends on the aport; a virtual
/// ip:port becomes the node address of one of its servers that shares a label with the client (chosen at random),
/// or, when the servers' app is a named service with route rules, of the instance those rules choose; when
/// those servers are `http` endpoints and a rule of the service needs request-level work, the agent's HTTP relay;
/// a server's node ip:port is decided as its virtual ip:port (that server or nothing); the agent's own ports are
/// refused; other addresses go to the node's network if the egress policy allows them.
/// A decision reads one <see cref="RoutingSnapshot"/> and nothing else of the table (no lock); besides it only the
/// vservices' RoundRobin turns, the agent's own ports and chance. Null is a refusal: the caller answers it as a closed
/// port would (ECONNREFUSED), so the app learns nothing about what it may not reach.
/// </summary>
/// <param name="dnsRedirect">Where a node socket's 127.0.0.1:53 goes (the agent's DNS for apps), per transport.</param>
/// <param name="httpRelay">The agent's HTTP relay's endpoint (null while it does not run).</param>
/// <param name="readiness">Whether the cluster's table is here; null: always (a node of its own).</param>
/// <param name="nodeNameservers">The nameservers of the node's resolv.conf: an app sharing the node's network asks the
/// agent's DNS when it asks them (see <see cref="ResolveNodeNameserver"/>).</param>
internal sealed class ConnectTargetResolver(BackendPicker picker, ILogger logger,
    Func<Transport, IPEndPoint?>? dnsRedirect = null, Func<IPEndPoint?>? httpRelay = null, AgentEndPoints? agentEndPoints = null,
    ClusterReadiness? readiness = null, IReadOnlyCollection<IPEndPoint>? nodeNameservers = null)
{
    private const int DnsPort = 53;

    /// <summary>Where <paramref name="client"/>'s connect to <paramref name="destination"/> goes, or null: refused.</summary>
    public ConnectTarget? Resolve(RoutingSnapshot snapshot, AppEntry client, IPEndPoint destination, Transport transport)
    {
        var address = IpAddresses.Normalize(destination.Address);
        // Only node sockets get here with a loopback address: the app's 127.0.0.1:53 is the agent's DNS.
        if (IPAddress.IsLoopback(address) && destination.Port == DnsPort && dnsRedirect?.Invoke(transport) is { } dns)
            return new ConnectTarget(dns, null);
        var direct = new IPEndPoint(address, destination.Port);
        if (snapshot.FindVService(address) is { } vservice) return ResolveVService(snapshot, client, vservice, destination.Port, transport);
        if (snapshot.Kubernetes.ClusterIps.Contains(address))
            return ResolveClusterIp(snapshot, client, address, destination.Port, transport);
        if (snapshot.ServerAtNode(address, destination.Port) is { } published && published.Transport == transport && !published.Virtual.Equals(direct))
            return ResolveNodeEndPoint(snapshot, client, published, direct, transport);
        var target = ResolveDirect(snapshot, client, direct, transport, out var handoff);
        if (target is null) return null;
        // ResolveDirect hands back the destination itself only when it is on the node's network (nothing virtual).
        if (!ReferenceEquals(target, direct)) return new ConnectTarget(target, null, handoff);
        // The agent's own ports are node addresses, never virtual ones: checked only here, off the virtual IPs' path.
        if (agentEndPoints?.Find(direct, transport) is { } agentPort)
        {
            logger.LogDebug("App {AppId}: {Destination}/{Transport} is the agent's own {Port} port: refused", client.Id, direct, transport, agentPort);
            return null;
        }
        if (transport == Transport.Tcp && snapshot.RelayAt(address, destination.Port) is { } relayed)
            return ResolveRelayListener(snapshot, client, relayed, direct, transport);
        if (!snapshot.Egress.Allows(address, destination.Port))
        {
            logger.LogDebug("App {AppId}: {Destination}/{Transport} is outside AppSwitch and the egress policy ({Egress}) refuses it",
                client.Id, direct, transport, snapshot.Egress);
            return null;
        }
        // Istio's outbound policy narrows the node's (never widens it): a ServiceEntry opens nothing --egress refuses.
        // TCP only, as Istio's: its sidecar does not capture UDP.
        if (transport == Transport.Tcp && !snapshot.Xds.Egress.Allows(address, destination.Port))
        {
            logger.LogDebug("App {AppId}: {Destination}/{Transport} is outside AppSwitch and Istio's outbound policy ({XdsEgress}) refuses it",
                client.Id, direct, transport, snapshot.Xds.Egress);
            return null;
        }
        // Unknown before the cluster's table is here: maybe another node's virtual IP (the enforcer holds it if unreachable).
        return new ConnectTarget(direct, null, UntilClusterSynced: readiness is { IsSynced: false });
    }

    /// <summary>
    /// The agent's DNS when <paramref name="destination"/> is one of the node's nameservers (an app sharing the node's
    /// network namespace reads the node's resolv.conf: its names resolve through the agent, which forwards the rest to
    /// its upstreams); null: not a nameserver, or the agent serves no DNS.
    /// </summary>
    public ConnectTarget? ResolveNodeNameserver(IPEndPoint destination, Transport transport)
    {
        var asked = new IPEndPoint(IpAddresses.Normalize(destination.Address), destination.Port);
        return nodeNameservers is not null && nodeNameservers.Contains(asked) && dnsRedirect?.Invoke(transport) is { } dns
            ? new ConnectTarget(dns, null)
            : null;
    }

    /// <summary>
    /// Whether <paramref name="target"/> is still an endpoint that <paramref name="client"/>'s connect to
    /// <paramref name="destination"/> may be sent to: the instance is still in the table and the vservice, labels and
    /// route rules still allow it. A connection to a target that no longer is should follow its service elsewhere.
    /// Kubernetes ClusterIPs are not followed (true).
    /// </summary>
    public bool StillLeadsTo(RoutingSnapshot snapshot, AppEntry client, IPEndPoint destination, Transport transport, IPEndPoint target)
    {
        var address = IpAddresses.Normalize(destination.Address);
        if (IPAddress.IsLoopback(address) && destination.Port == DnsPort && dnsRedirect?.Invoke(transport) is { } dns) return dns.Equals(target);
        if (snapshot.FindVService(address) is { } vservice)
            return vservice.Ports.TryGetValue(destination.Port, out var aport)
                   && vservice.Backends.Any(b => DirectLeadsTo(snapshot, client, new IPEndPoint(b.ToAddress(), aport), transport, target));
        if (snapshot.Kubernetes.ClusterIps.Contains(address)) return true;
        return DirectLeadsTo(snapshot, client, new IPEndPoint(address, destination.Port), transport, target);
    }

    /// <summary>A direct connect's answer when the target's server is the only one it may choose: the target itself or not.</summary>
    private bool DirectLeadsTo(RoutingSnapshot snapshot, AppEntry client, IPEndPoint destination, Transport transport, IPEndPoint target)
    {
        var address = IpAddresses.Normalize(destination.Address);
        var servers = snapshot.ServersFor(address, destination.Port, transport);
        if (servers.Count == 0) return !snapshot.IsVirtual(address) && destination.Equals(target);
        var server = servers.FirstOrDefault(s => s.Node.Equals(target));
        return server is not null && target.Equals(ResolveDirect(snapshot, client, destination, transport, out _, only: server));
    }

    /// <summary>
    /// Where a relay's connection from outside AppSwitch (a client without labels, which may reach every server) goes:
    /// an `--expose` route to that app's server's node socket, a vservice's vport as an app's connect would (backend
    /// choice, the vservice's source IP); null with the reason when nobody serves it now.
    /// </summary>
    public ConnectTarget? ResolveForOutsider(RoutingSnapshot snapshot, RelayRoute route, out string? reason)
    {
        reason = null;
        switch (route)
        {
            case ExposeRoute expose:
                if (snapshot.ServerOfApp(expose.NodeName, expose.AppId, expose.AppPort, Transport.Tcp) is { } server) return new ConnectTarget(server.Node, null);
                reason = $"app {expose.AppId} on {expose.NodeName} has no server on port {expose.AppPort}";
                return null;
            case VServiceRoute vroute:
                if (snapshot.VServiceOf(vroute.Owner, vroute.Name) is not { } vservice) { reason = $"vservice {vroute.Name} is gone"; return null; }
                if (ResolveVService(snapshot, null, vservice, vroute.VPort, Transport.Tcp) is { } target) return target;
                reason = $"no backend of vservice {vroute.Name} answers port {vroute.VPort}";
                return null;
            default:
                throw new ArgumentOutOfRangeException(nameof(route), route, null);
        }
    }

    /// <summary>
    /// A relay listener (an `--expose` or external vservice port of a node, meant for clients outside AppSwitch),
    /// dialled by an app: decided as what the relay leads to, with the app's labels — the app's server's node endpoint,
    /// or the vservice's vport — so the relay opens nothing to apps that their labels would not.
    /// </summary>
    private ConnectTarget? ResolveRelayListener(RoutingSnapshot snapshot, AppEntry client, RelayRoute relayed, IPEndPoint destination, Transport transport)
    {
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: {Destination} is a relay listener ({Route}): decided as its route", client.Id, destination, relayed);
        switch (relayed)
        {
            case ExposeRoute expose when snapshot.ServerOfApp(expose.NodeName, expose.AppId, expose.AppPort, transport) is { } server:
                return ResolveNodeEndPoint(snapshot, client, server, destination, transport);
            case VServiceRoute route when snapshot.VServiceOf(route.Owner, route.Name) is { } vservice:
                return ResolveVService(snapshot, client, vservice, route.VPort, transport);
            default:
                return null; // the relay would reset it: nobody serves it now
        }
    }

    /// <summary>
    /// A server's node ip:port, dialled directly: decided as a connect to its virtual ip:port (labels, route rules,
    /// the HTTP relay) with that one server as the only candidate, so the node endpoint opens nothing the virtual
    /// address would not.
    /// </summary>
    private ConnectTarget? ResolveNodeEndPoint(RoutingSnapshot snapshot, AppEntry client, ServerEntry server, IPEndPoint destination, Transport transport)
    {
        var target = ResolveDirect(snapshot, client, server.Virtual, transport, out var handoff, only: server);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: {Destination} is the node endpoint of server {Virtual} (app {Server}) -> {Target}",
                client.Id, destination, server.Virtual, server.App.Id, target?.ToString() ?? "refused");
        return target is null ? null : new ConnectTarget(target, null, handoff);
    }

    /// <summary>A backend in turn, then resolved exactly as a direct connect to backend:aport (labels included).</summary>
    private ConnectTarget? ResolveVService(RoutingSnapshot snapshot, AppEntry? client, VServiceEntry vservice, int port, Transport transport)
    {
        if (!vservice.Ports.TryGetValue(port, out var aport))
        {
            logger.LogDebug("App {AppId}: vservice {VService} has no port {Port}", client?.Id ?? "(outside)", vservice.Name, port);
            return null; // as a closed port would answer
        }
        var backend = new IPEndPoint(picker.Pick(vservice), aport);
        var target = ResolveDirect(snapshot, client, backend, transport, out var handoff);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: vservice {VService} port {Port} -> backend {Backend} -> {Target}",
                client?.Id ?? "(outside)", vservice.Name, port, backend, target?.ToString() ?? "refused");
        return target is null ? null : new ConnectTarget(target, vservice.SourceIp, handoff);
    }

    /// <summary>A Kubernetes Service's ClusterIP:port → a ready endpoint (pod ip:port) on the node's network.</summary>
    private ConnectTarget? ResolveClusterIp(RoutingSnapshot snapshot, AppEntry client, IPAddress address, int port, Transport transport)
    {
        var service = snapshot.Kubernetes.Virtuals.GetValueOrDefault((address, port));
        IPEndPoint? target = null;
        Common.Rules.Rule? rule = null;
        if (service is not null && (service.Type == "udp") == (transport == Transport.Udp))
            target = KubernetesTargetPicker.Pick(snapshot, client, service, out rule);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: {Address}:{Port} is Kubernetes service {Service}; rule {Rule} -> {Target}", client.Id, address, port,
                service?.Service ?? "(no such port)", rule?.Id ?? "none", target?.ToString() ?? "refused");
        return target is null ? null : new ConnectTarget(target, null);
    }

    /// <param name="client">The app connecting; null for a client outside AppSwitch, which may reach every server.</param>
    /// <param name="only">The one server that may be chosen (a connect to its node endpoint); null: any of the destination's.</param>
    /// <returns>The endpoint to connect to (<paramref name="destination"/> itself when it is on the node's network), or null: refused.</returns>
    private IPEndPoint? ResolveDirect(RoutingSnapshot snapshot, AppEntry? client, IPEndPoint destination, Transport transport,
        out HttpRelayHandoff? handoff, ServerEntry? only = null)
    {
        handoff = null;
        var address = IpAddresses.Normalize(destination.Address);
        var servers = only is null ? snapshot.ServersFor(address, destination.Port, transport) : [only];
        if (servers.Count > 0)
        {
            // Amalgam8 route rules of the destination's service; without any rule this is one field read.
            if (snapshot.Rules.HasRoutes && servers[0].App.Name is { Length: > 0 } service)
            {
                // An app's connection (not a relay's outside client) to http instances needing request-level rules:
                // each request is routed by the HTTP relay (rules read per request), so the connection goes there whole.
                if (client is not null && transport == Transport.Tcp && httpRelay?.Invoke() is { } relayEndPoint && snapshot.Rules.NeedsHttp(service)
                    && AllHttp(servers))
                {
                    handoff = new HttpRelayHandoff(client, service, destination);
                    if (logger.IsEnabled(LogLevel.Debug))
                        logger.LogDebug("App {AppId}: {Destination} is http service {Service} with request-level rules -> HTTP relay {Relay}",
                            client.Id, destination, service, relayEndPoint);
                    return relayEndPoint;
                }
                var routed = RouteRulePicker.Pick(snapshot, client, service, destination.Port, transport,
                    s => (only is null || s == only) && (client is null || LabelAccess.Allows(client.Labels, s.App.Labels)), out var rule);
                if (rule is not null)
                {
                    if (logger.IsEnabled(LogLevel.Debug))
                        logger.LogDebug("App {AppId}: {Destination} is service {Service}; rule {Rule} -> {Target}", client?.Id ?? "(outside)", destination,
                            service, rule.Id, routed?.Virtual.ToString() ?? "refused (no instance of its backends)");
                    return routed?.Node;
                }
            }
            var reachable = client is null ? servers : Reachable(client, servers);
            if (reachable.Count > 0) return reachable[reachable.Count == 1 ? 0 : Random.Shared.Next(reachable.Count)].Node;
            if (logger.IsEnabled(LogLevel.Debug))
                logger.LogDebug("App {AppId} (labels {Labels}) may not reach {Destination}: none of its {Count} servers shares a label",
                    client!.Id, string.Join(",", client.Labels.Select(l => $"{l.Key}={l.Value}")), destination, servers.Count);
            return null; // as if nobody listened: the client learns nothing about other zones
        }
        return snapshot.IsVirtual(address) ? null : destination; // not virtual: the node's own network
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
