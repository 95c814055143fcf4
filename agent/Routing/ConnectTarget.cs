using System.Net;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Where a node socket connects, and the local address to bind it to first (a vservice's --source-ip), if any;
/// with <see cref="Relay"/>, the endpoint is the agent's HTTP relay, which must be told the route before connecting.
/// With <see cref="UntilClusterSynced"/>, the address is unknown while this node does not have the cluster's table
/// yet (<see cref="ClusterReadiness"/>): should the node's network not reach it, the connect waits for the table and
/// is decided again, as it may be another node's virtual IP.
/// </summary>
internal sealed record ConnectTarget(IPEndPoint EndPoint, IPAddress? Source, HttpRelayHandoff? Relay = null, bool UntilClusterSynced = false);
