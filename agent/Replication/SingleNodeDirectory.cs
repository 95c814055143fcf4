using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Replication;

/// <summary>A node that gossips with nobody: the cluster is itself.</summary>
public sealed class SingleNodeDirectory(ServiceTable table) : INodeDirectory
{
    public IReadOnlyList<NodeRecord> Nodes() =>
    [
        new NodeRecord
        {
            Name = table.Node.Name, Cluster = table.Node.Cluster, Address = table.Node.Address.ToString(), State = "alive",
            Apps = table.Apps().Count, Servers = table.Servers().Count, Self = true,
        },
    ];

    public ClusterStats Stats() => new() { Node = table.Node.Name, Cluster = table.Node.Cluster, Gossip = false };
}
