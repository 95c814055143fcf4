namespace AppSwitch.Agent.SocketLock;

/// <summary>The socket lock cannot be set up on this machine (no cgroup2, no BPF, no permission).</summary>
internal sealed class SocketLockUnavailableException(string message) : Exception(message);
