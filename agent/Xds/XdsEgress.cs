using System.Collections.Frozen;
using System.Net;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Xds;

/// <summary>
/// Istio's outbound traffic policy for connects to addresses outside AppSwitch. It only ever narrows the node's own
/// egress policy (`--egress`, checked first): with REGISTRY_ONLY only the ip:port endpoints of accepted clusters —
/// services and ServiceEntries — stay open; with ALLOW_ANY, or when istiod said nothing, it adds no refusal.
/// Where the mode comes from, strongest first: a catch-all filter chain or virtual host (<see cref="IstioCatchAll"/>:
/// what istiod's sidecar output says it by — REGISTRY_ONLY if any says so, so a half-pushed change errs on refusing);
/// else the special clusters alone (BlackHoleCluster without PassthroughCluster → REGISTRY_ONLY; otherwise ALLOW_ANY,
/// Istio's default — the sidecar output always sends both, and then only the catch-alls tell).
/// </summary>
public sealed class XdsEgress
{
    public static readonly XdsEgress None = new(null, "istiod sent no special cluster, catch-all chain or catch-all virtual host", FrozenSet<IPEndPoint>.Empty);

    private readonly FrozenSet<IPEndPoint> _registry;

    private XdsEgress(XdsEgressMode? mode, string source, FrozenSet<IPEndPoint> registry)
    {
        Mode = mode;
        Source = source;
        _registry = registry;
    }

    /// <summary>The policy istiod's output says, or null when it says none.</summary>
    public XdsEgressMode? Mode { get; }

    /// <summary>Which resource said it (for `ax get xds` and the log).</summary>
    public string Source { get; }

    /// <summary>Istio's name of the mode (REGISTRY_ONLY, ALLOW_ANY), null for none.</summary>
    public string? ModeName => Mode switch
    {
        XdsEgressMode.AllowAny => "ALLOW_ANY",
        XdsEgressMode.RegistryOnly => "REGISTRY_ONLY",
        _ => null,
    };

    public bool Allows(IPAddress address, int port) =>
        Mode != XdsEgressMode.RegistryOnly || _registry.Contains(new IPEndPoint(IpAddresses.Normalize(address), port));

    public static XdsEgress From(IEnumerable<XdsEgressSignal> signals, IEnumerable<IPEndPoint> registry)
    {
        var all = signals.ToList();
        var chosen = Strongest(all.Where(s => s.Explicit).ToList()) ?? Strongest(all.Where(s => !s.Explicit).ToList(), specials: true);
        return chosen is null ? None
            : new XdsEgress(chosen.Mode, chosen.Source, registry.Select(e => new IPEndPoint(IpAddresses.Normalize(e.Address), e.Port)).ToFrozenSet());
    }

    private static XdsEgressSignal? Strongest(List<XdsEgressSignal> signals, bool specials = false)
    {
        var refuse = signals.FirstOrDefault(s => s.Mode == XdsEgressMode.RegistryOnly);
        var allow = signals.FirstOrDefault(s => s.Mode == XdsEgressMode.AllowAny);
        if (!specials) return refuse ?? allow;
        // Special clusters: PassthroughCluster's presence wins (both is what the sidecar output always sends).
        if (allow is not null && refuse is not null)
            return allow with { Source = $"{IstioSpecialCluster.Passthrough} and {IstioSpecialCluster.BlackHole} with no catch-all saying which: Istio's default" };
        return allow ?? refuse;
    }

    public override string ToString() => Mode switch
    {
        XdsEgressMode.AllowAny => $"ALLOW_ANY (from {Source})",
        XdsEgressMode.RegistryOnly => $"REGISTRY_ONLY ({_registry.Count} endpoints; from {Source})",
        _ => "none",
    };
}
