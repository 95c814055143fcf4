namespace AppSwitch.Agent.ClientAddress;

/// <summary>The client-address programs cannot be installed (no cgroup v2, a refused program or map): servers then see node addresses.</summary>
internal sealed class ClientAddressUnavailableException(string message) : Exception(message);
