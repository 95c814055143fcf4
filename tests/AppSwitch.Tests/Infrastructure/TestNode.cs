namespace AppSwitch.Tests.Infrastructure;

/// <summary>A test "node": a network namespace with `lo` and `eth0` (an address on the test bridge, no default route).</summary>
public sealed record TestNode(string Name, string Namespace, string Address, string Interface = "eth0")
{
    /// <summary>The agent's socket-lock cgroup in this node (see <see cref="TestCgroups"/>): one per node and test.</summary>
    public string SocketLockCgroup => Namespace;

    /// <summary>
    /// Argument prefix that runs a program inside this node's namespace; with AX_SOCKET_LOCK_CGROUP set, so that
    /// every agent a test starts there (by AgentProcess or by hand) uses the node's cgroup.
    /// </summary>
    public string[] Exec(params string[] command) =>
        ["netns", "exec", Namespace, "env", $"AX_SOCKET_LOCK_CGROUP={SocketLockCgroup}", .. command];
}
