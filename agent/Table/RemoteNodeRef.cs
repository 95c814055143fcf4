using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>Names the node a replicated app runs on.</summary>
public sealed record RemoteNodeRef(string Name, IPAddress Address);
