using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Replication;

/// <summary>The cluster's members as `ax get nodes` shows them.</summary>
public interface INodeDirectory
{
    IReadOnlyList<NodeRecord> Nodes();
}
