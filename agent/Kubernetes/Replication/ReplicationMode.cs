namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>--replication: gossip only, the Kubernetes API server only, or both side by side.</summary>
public enum ReplicationMode
{
    Gossip,
    Kube,
    Both,
}
