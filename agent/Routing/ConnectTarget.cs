using System.Net;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Where a node socket connects, and the local address to bind it to first (a vservice's --source-ip), if any;
/// with <see cref="Relay"/>, the endpoint is the agent's HTTP relay, which must be told the route before connecting.
/// </summary>
internal sealed record ConnectTarget(IPEndPoint EndPoint, IPAddress? Source, HttpRelayHandoff? Relay = null);
