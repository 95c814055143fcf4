using System.Net;

namespace AppSwitch.Agent.Configuration;

/// <summary>What the agent needs to know about a network interface to pick the node address.</summary>
/// <param name="IsUp">Operationally up. Interfaces whose state the kernel reports as "unknown" (dummy, some tunnels) count as up.</param>
public sealed record NetworkInterfaceInfo(string Name, bool IsUp, bool IsLoopback, IReadOnlyList<IPAddress> Addresses);
