using EnvoyCluster = Envoy.Config.Cluster.V3.Cluster;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// Istio's clusters without a service name: `PassthroughCluster` (ORIGINAL_DST: the app's own destination) and
/// `BlackHoleCluster` (STATIC without endpoints: nowhere). They carry the outbound traffic policy; their shape is
/// checked so a cluster that only borrows the name is not taken for one.
/// </summary>
public static class IstioSpecialCluster
{
    public const string Passthrough = "PassthroughCluster";
    public const string BlackHole = "BlackHoleCluster";
    public const string InboundPassthrough = "InboundPassthroughCluster";

    /// <summary>True when <paramref name="cluster"/> has a special's name; then either the mode or the reason is set.</summary>
    public static bool TryTranslate(EnvoyCluster cluster, out XdsEgressMode? mode, out string? reason)
    {
        mode = null;
        reason = null;
        switch (cluster.Name)
        {
            case Passthrough:
                if (cluster.Type != EnvoyCluster.Types.DiscoveryType.OriginalDst)
                    reason = $"PassthroughCluster must be ORIGINAL_DST, not {cluster.Type}";
                else mode = XdsEgressMode.AllowAny;
                return true;
            case BlackHole:
                if (cluster.Type != EnvoyCluster.Types.DiscoveryType.Static)
                    reason = $"BlackHoleCluster must be STATIC, not {cluster.Type}";
                else if (cluster.LoadAssignment is { } assignment && assignment.Endpoints.Any(l => l.LbEndpoints.Count > 0))
                    reason = "BlackHoleCluster must have no endpoints";
                else mode = XdsEgressMode.RegistryOnly;
                return true;
            case InboundPassthrough:
                reason = "InboundPassthroughCluster is the server side's: not used by a client";
                return true;
            default:
                return false;
        }
    }
}
