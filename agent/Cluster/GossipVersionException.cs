namespace AppSwitch.Agent.Cluster;

/// <summary>A peer's protocol range has no version in common with this node's: it cannot join or be joined.</summary>
public sealed class GossipVersionException(string message) : Exception(message);
