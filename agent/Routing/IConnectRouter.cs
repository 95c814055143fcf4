using System.Net;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// What the drivers (the seccomp handlers, the L4 relays) ask of routing: where a connection goes, decided on the
/// snapshot in force. Null is a refusal; how it is answered (ECONNREFUSED, a reset) is the driver's business.
/// </summary>
internal interface IConnectRouter
{
    /// <summary>Where an app's connect (or sendto) to <paramref name="destination"/> goes, or null: refused.</summary>
    ConnectTarget? Route(AppEntry client, IPEndPoint destination, Transport transport);

    /// <summary>Whether an app's connection to <paramref name="destination"/> that went to <paramref name="target"/> may still go
    /// there (the instance is in the table and the rules allow it); false: it should follow its service elsewhere.</summary>
    bool StillLeadsTo(AppEntry client, IPEndPoint destination, Transport transport, IPEndPoint target);

    /// <summary>The agent's DNS when an app sharing the node's network namespace connects or sends to one of the node's
    /// nameservers; null: route it as any other destination.</summary>
    ConnectTarget? RouteNodeNameserver(IPEndPoint destination, Transport transport);

    /// <summary>Where a relay's client from outside AppSwitch goes along <paramref name="route"/>, or null with the reason.</summary>
    ConnectTarget? RouteOutsider(RelayRoute route, out string? reason);
}
