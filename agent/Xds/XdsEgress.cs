using System.Collections.Frozen;
using System.Net;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Xds;

/// <summary>
/// Istio's outbound traffic policy for connects to addresses outside AppSwitch. It only ever narrows the node's own
/// egress policy (`--egress`, checked first): with REGISTRY_ONLY (BlackHoleCluster and no PassthroughCluster) only
/// the ip:port endpoints of accepted clusters — services and ServiceEntries — stay open; with ALLOW_ANY, or when
/// istiod sent neither special, it adds no refusal. Istio's sidecar mode sends both specials (the virtualOutbound
/// listener picks one, which proxyless mode does not carry): both → ALLOW_ANY, Istio's default.
/// </summary>
public sealed class XdsEgress
{
    public static readonly XdsEgress None = new(null, FrozenSet<IPEndPoint>.Empty);

    private readonly FrozenSet<IPEndPoint> _registry;

    private XdsEgress(XdsEgressMode? mode, FrozenSet<IPEndPoint> registry)
    {
        Mode = mode;
        _registry = registry;
    }

    /// <summary>The policy istiod's specials say, or null when it sent neither.</summary>
    public XdsEgressMode? Mode { get; }

    public bool Allows(IPAddress address, int port) =>
        Mode != XdsEgressMode.RegistryOnly || _registry.Contains(new IPEndPoint(IpAddresses.Normalize(address), port));

    public static XdsEgress From(IEnumerable<XdsEgressMode> specials, IEnumerable<IPEndPoint> registry)
    {
        var modes = specials.ToHashSet();
        XdsEgressMode? mode = modes.Contains(XdsEgressMode.AllowAny) ? XdsEgressMode.AllowAny
            : modes.Contains(XdsEgressMode.RegistryOnly) ? XdsEgressMode.RegistryOnly : null;
        return mode is null ? None : new XdsEgress(mode, registry.Select(e => new IPEndPoint(IpAddresses.Normalize(e.Address), e.Port)).ToFrozenSet());
    }

    public override string ToString() => Mode switch
    {
        XdsEgressMode.AllowAny => "ALLOW_ANY",
        XdsEgressMode.RegistryOnly => $"REGISTRY_ONLY ({_registry.Count} endpoints)",
        _ => "none",
    };
}
