namespace AppSwitch.Agent.Cluster;

/// <summary>One key of the cluster and how many live members hold it (as `serf keys -list` counts).</summary>
public sealed record KeyHolders(byte[] Key, bool Primary, int Members);
