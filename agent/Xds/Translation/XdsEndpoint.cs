using System.Net;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>One endpoint of a cluster: a routable ip:port and its load-balancing weight (1 when none is given).</summary>
public sealed record XdsEndpoint(IPEndPoint Address, int Weight);
