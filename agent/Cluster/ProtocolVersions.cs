namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Versions of the gossip protocol (the messages, not the envelope). Rules that make rolling upgrades safe:
/// message types are append-only (a type newer than the receiver is counted and skipped, never a decode failure
/// that loses the rest of the datagram), fields are append-only at the end of a message (older decoders ignore
/// them), and whatever an older peer cannot read is sent to it only after its range said it can.
/// <list type="bullet">
/// <item>1: before ranges existed: exact decoding, no range in push/pull (a peer that sends none is taken as 1..1).</item>
/// <item>2: ranges in push/pull, trailing fields and unknown types tolerated, nacks on indirect probes.</item>
/// </list>
/// </summary>
public static class ProtocolVersions
{
    public static readonly ProtocolRange Legacy = new(1, 1, 1);
    public static readonly ProtocolRange Supported = new(1, 2, 2);
    /// <summary>Indirect probes carry the nack request from this version on.</summary>
    public const byte Nacks = 2;

    /// <summary>The version two members speak, or null when their ranges have none in common.</summary>
    public static byte? Common(ProtocolRange ours, ProtocolRange theirs)
    {
        byte version = Math.Min(ours.Current, theirs.Current);
        return version >= ours.Min && version >= theirs.Min && version <= ours.Max && version <= theirs.Max ? version : null;
    }
}
