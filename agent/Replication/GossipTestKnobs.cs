using AppSwitch.Agent.Cluster;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Replication;

/// <summary>
/// Test-only environment knobs of the gossip (not flags: no user should set them). The integration tests use them
/// to play the next release in a version-skew cluster and to run the CPU-starvation test without Lifeguard's
/// local health awareness. Each one set is logged as a warning.
/// </summary>
internal static class GossipTestKnobs
{
    /// <summary>Speak one protocol version above this build's (and send a message type no build knows).</summary>
    public const string ProtocolMax = "AX_GOSSIP_TEST_PROTOCOL_MAX";

    /// <summary>Lifeguard's local health awareness multiplier (1 = off), to compare a starved agent with and without it.</summary>
    public const string AwarenessMax = "AX_GOSSIP_TEST_AWARENESS_MAX";

    public static void Apply(GossipOptions options, ILogger logger)
    {
        if (Environment.GetEnvironmentVariable(AwarenessMax) is { Length: > 0 } awareness)
        {
            if (!int.TryParse(awareness, out var multiplier) || multiplier is < 1 or > 64)
                throw new ArgumentException($"{AwarenessMax} must be 1 to 64, not '{awareness}'");
            options.AwarenessMaxMultiplier = multiplier;
            logger.LogWarning("Test knob {Knob}: local health awareness multiplier {Multiplier}", AwarenessMax, multiplier);
        }
        if (Environment.GetEnvironmentVariable(ProtocolMax) is { Length: > 0 } text)
        {
            if (!byte.TryParse(text, out var max) || max != ProtocolVersions.Supported.Max + 1)
                throw new ArgumentException($"{ProtocolMax} must be {ProtocolVersions.Supported.Max + 1} (this build speaks {ProtocolVersions.Supported}), not '{text}'");
            options.Protocol = ProtocolVersions.Supported with { Max = max, Current = max };
            logger.LogWarning("Test knob {Knob}: gossiping as protocol {Range}", ProtocolMax, options.Protocol);
        }
    }
}
