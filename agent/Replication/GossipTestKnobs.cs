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

    public static void Apply(GossipOptions options, ILogger logger)
    {
        if (Environment.GetEnvironmentVariable(ProtocolMax) is { Length: > 0 } text)
        {
            if (!byte.TryParse(text, out var max) || max != ProtocolVersions.Supported.Max + 1)
                throw new ArgumentException($"{ProtocolMax} must be {ProtocolVersions.Supported.Max + 1} (this build speaks {ProtocolVersions.Supported}), not '{text}'");
            options.Protocol = ProtocolVersions.Supported with { Max = max, Current = max };
            logger.LogWarning("Test knob {Knob}: gossiping as protocol {Range}", ProtocolMax, options.Protocol);
        }
    }
}
