namespace AppSwitch.Agent.SocketLock;

/// <summary>What the agent got at start: the lock on a cgroup, or why not (seccomp containment only).</summary>
public sealed record SocketLockState(bool Engaged, string Detail);
