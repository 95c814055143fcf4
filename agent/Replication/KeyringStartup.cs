using AppSwitch.Agent.Cluster;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.State;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Replication;

/// <summary>
/// Which keyring the node starts with: the saved one (changed by `ax keys`) wins over `--gossip-key`, which only
/// seeds a node that has none. Without either, gossip is clear text and a warning says so at every start.
/// </summary>
internal static class KeyringStartup
{
    public static KeyringState? Choose(AgentOptions options, KeyringFile file, ILogger logger)
    {
        KeyringState? saved;
        try { saved = file.Load(); }
        catch (InvalidDataException e) when (options.GossipKey is not null)
        {
            logger.LogError("Gossip keyring: {Problem}; starting with --gossip-key alone", e.Message);
            saved = null;
        }
        if (saved is not null)
        {
            if (options.GossipKey is { } flagKey && !saved.Contains(flagKey))
                logger.LogWarning("Gossip keyring: --gossip-key is not in the saved keyring {Path} (changed with `ax keys`); the saved keyring is used. Put the cluster's current primary key in the deployment's key",
                    file.Path);
            logger.LogInformation("Gossip keyring: {Count} keys from {Path} (version {Version})", saved.Keys.Count, file.Path, saved.Version);
            return saved;
        }
        if (options.GossipKey is { } key) return KeyringState.Seed(key, options.NodeName);
        logger.LogWarning("Gossip is NOT encrypted: anyone who can send UDP/TCP to port {Port} can join cluster {Cluster} and announce servers; set --gossip-key (AX_GOSSIP_KEY, base64 of 32 random bytes) on every node",
            options.GossipPort, options.Cluster);
        return null;
    }
}
