using System.Net;

namespace AppSwitch.Agent.Cluster;

internal sealed record Peer(string Name, IPEndPoint Address);
