using System.Net;
using AppSwitch.Agent.Interception;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// Resolves a route to the endpoint to dial for one accepted connection, with the same table lookups (and, for
/// vservices, the same backend choice) as an app's connect; null with the reason when nobody serves it now.
/// </summary>
internal sealed class RelayDialTarget(ServiceTable table, ConnectTargetResolver resolver)
{
    public ConnectTarget? Resolve(RelayRoute route, out string? reason)
    {
        reason = null;
        switch (route)
        {
            case ExposeRoute expose:
                if (table.ServerOfApp(expose.NodeName, expose.AppId, expose.AppPort, Transport.Tcp) is { } server) return new ConnectTarget(server.Node, null);
                reason = $"app {expose.AppId} on {expose.NodeName} has no server on port {expose.AppPort}";
                return null;
            case VServiceRoute vroute:
                var vservice = table.AllVServices().FirstOrDefault(v => v.Name == vroute.Name && (v.RemoteNode?.Name ?? table.Node.Name) == vroute.Owner);
                if (vservice is null) { reason = $"vservice {vroute.Name} is gone"; return null; }
                if (resolver.ResolveForOutsider(vservice, vroute.VPort, Transport.Tcp, out _) is { } target) return target; // with the vservice's source IP
                reason = $"no backend of vservice {vroute.Name} answers port {vroute.VPort}";
                return null;
            default:
                throw new ArgumentOutOfRangeException(nameof(route), route, null);
        }
    }

    /// <summary>What `ax get proxies` shows as the dialers: the route and where it leads now.</summary>
    public string Describe(RelayRoute route) => route switch
    {
        ExposeRoute expose => table.ServerOfApp(expose.NodeName, expose.AppId, expose.AppPort, Transport.Tcp) is { } server
            ? $"{server.Node} ({route})" : $"<none> ({route})",
        VServiceRoute vroute => table.AllVServices().FirstOrDefault(v => v.Name == vroute.Name) is { } v && v.Ports.TryGetValue(vroute.VPort, out var aport)
            ? $"{string.Join(",", v.Backends.Select(b => $"{b}:{aport}"))} ({route}, {v.LbType})" : $"<none> ({route})",
        _ => route.ToString() ?? "",
    };
}
