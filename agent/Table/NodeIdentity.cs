using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>Who this node is: its name, cluster and the address peers and node sockets use.</summary>
public sealed record NodeIdentity(string Name, string Cluster, IPAddress Address);
