using System.Net;

namespace AppSwitch.Agent.Cluster;

internal sealed record FetchJob(string Name, IPEndPoint Owner, ulong Version, int Attempt);
