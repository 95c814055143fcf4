namespace AppSwitch.Agent.Cluster;

internal enum PeerChoice
{
    /// <summary>Alive members (indirect probes, push/pull).</summary>
    Alive,
    /// <summary>Alive and suspect members, and members dead for less than the gossip-to-the-dead time.</summary>
    GossipTargets,
    /// <summary>Dead (not departed) members still retained: candidates for a reconnecting push/pull.</summary>
    Dead,
}
