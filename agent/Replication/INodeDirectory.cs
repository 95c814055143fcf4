using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Replication;

/// <summary>The cluster's members as `ax get nodes` shows them, and this node's gossip counters.</summary>
public interface INodeDirectory
{
    IReadOnlyList<NodeRecord> Nodes();

    /// <summary>Traffic and refusal counters of this node's gossip (`GET /api/v1/cluster/stats`).</summary>
    ClusterStats Stats();
}
