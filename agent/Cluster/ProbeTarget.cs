using System.Net;

namespace AppSwitch.Agent.Cluster;

internal sealed record ProbeTarget(string Name, IPEndPoint Address, ulong Incarnation, bool Suspected);
