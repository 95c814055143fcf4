using System.Net;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// What the HTTP relay must know about a connection the agent sent to it: the connecting app, the destination
/// service whose rules apply to each request, and the virtual ip:port the app asked for (the default backends).
/// </summary>
internal sealed record HttpRelayHandoff(AppEntry Client, string Service, IPEndPoint VirtualDestination);
