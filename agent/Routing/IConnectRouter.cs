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

    /// <summary>Where a relay's client from outside AppSwitch goes along <paramref name="route"/>, or null with the reason.</summary>
    ConnectTarget? RouteOutsider(RelayRoute route, out string? reason);
}
