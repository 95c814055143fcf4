namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// What the agent got at start: the lock on a cgroup, or why not (seccomp containment only); with the lock, the map of
/// unconnected UDP translations its programs apply.
/// </summary>
public sealed record SocketLockState(bool Engaged, string Detail, DatagramTranslations? Translations = null);
