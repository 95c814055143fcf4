using System.Net;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>Each decision on the snapshot in force, read once: the resolver sees nothing else of the table.</summary>
internal sealed class ConnectRouter(IRoutingSnapshotSource snapshots, ConnectTargetResolver resolver) : IConnectRouter
{
    public ConnectTarget? Route(AppEntry client, IPEndPoint destination, Transport transport) =>
        resolver.Resolve(snapshots.Current, client, destination, transport);

    public bool StillLeadsTo(AppEntry client, IPEndPoint destination, Transport transport, IPEndPoint target) =>
        resolver.StillLeadsTo(snapshots.Current, client, destination, transport, target);

    public ConnectTarget? RouteNodeNameserver(IPEndPoint destination, Transport transport) =>
        resolver.ResolveNodeNameserver(destination, transport);

    public ConnectTarget? RouteOutsider(RelayRoute route, out string? reason) =>
        resolver.ResolveForOutsider(snapshots.Current, route, out reason);
}
