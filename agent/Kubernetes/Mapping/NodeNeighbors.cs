using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>
/// `--gossip-auto-discover`: the agents run on every node with hostNetwork, so the other nodes' addresses are the
/// neighbours to join — each node's InternalIP, else its ExternalIP; this node is left out.
/// </summary>
public static class NodeNeighbors
{
    public static IReadOnlyList<string> From(IEnumerable<V1Node> nodes, string ownNodeName) =>
    [
        .. nodes.Where(n => n.Metadata.Name != ownNodeName)
            .OrderBy(n => n.Metadata.Name, StringComparer.Ordinal)
            .Select(n => Address(n, "InternalIP") ?? Address(n, "ExternalIP"))
            .OfType<string>(),
    ];

    private static string? Address(V1Node node, string type) =>
        node.Status?.Addresses?.FirstOrDefault(a => a.Type == type && a.Address is { Length: > 0 })?.Address;
}
