using System.Net;

namespace AppSwitch.Agent.Interception;

/// <summary>Where a node socket connects, and the local address to bind it to first (a vservice's --source-ip), if any.</summary>
internal sealed record ConnectTarget(IPEndPoint EndPoint, IPAddress? Source);
