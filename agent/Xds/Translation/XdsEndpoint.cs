using System.Net;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// One endpoint of a cluster: a routable ip:port, its load-balancing weight (1 when none is given) and its locality's
/// priority (0 first; a higher one is used only while no endpoint of a lower one is live).
/// </summary>
public sealed record XdsEndpoint(IPEndPoint Address, int Weight, int Priority = 0);
