namespace AppSwitch.Tests.Infrastructure;

/// <summary>A test "node": a network namespace with `lo` and `eth0` (an address on the test bridge, no default route).</summary>
public sealed record TestNode(string Name, string Namespace, string Address, string Interface = "eth0")
{
    /// <summary>Argument prefix that runs a program inside this node's namespace.</summary>
    public string[] Exec(params string[] command) => ["netns", "exec", Namespace, .. command];
}
