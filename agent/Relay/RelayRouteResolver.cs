using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// The endpoint to dial for one accepted connection, decided by routing as for an app's connect (for vservices, the
/// same backend choice); null with the reason when nobody serves it now. Also describes routes for `ax get proxies`.
/// </summary>
internal sealed class RelayRouteResolver(ServiceTable table, IConnectRouter router)
{
    public ConnectTarget? Resolve(RelayRoute route, out string? reason) => router.RouteOutsider(route, out reason);

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
