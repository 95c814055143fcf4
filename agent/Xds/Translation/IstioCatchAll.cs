using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// Where istiod's sidecar output says REGISTRY_ONLY or ALLOW_ANY (it always sends both special clusters, so their
/// presence says nothing): the outbound listeners' catch-all TCP chain (`virtualOutbound`'s chain without a match,
/// `virtualOutbound-catchall-tcp`, or a listener's default_filter_chain) forwards to PassthroughCluster or
/// BlackHoleCluster; and each HTTP route configuration ends with the catch-all virtual host `allow_any` (domains `*`,
/// prefix `/` → PassthroughCluster) or `block_all` (the same answered with a direct 502).
/// </summary>
public static class IstioCatchAll
{
    public const string AllowAnyHost = "allow_any";
    public const string BlockAllHost = "block_all";
    public const string TcpProxyFilter = "envoy.filters.network.tcp_proxy";

    /// <summary>The policy a listener's catch-all chain says (null: it has none, or it forwards elsewhere).</summary>
    public static XdsEgressSignal? OfListener(Listener listener)
    {
        var catchAll = listener.DefaultFilterChain ?? listener.FilterChains.FirstOrDefault(c => c.FilterChainMatch is null);
        if (catchAll is null) return null;
        foreach (var filter in catchAll.Filters)
        {
            if (filter.Name != TcpProxyFilter || filter.TypedConfig is not { } any || !any.Is(TcpProxy.Descriptor)) continue;
            var cluster = any.Unpack<TcpProxy>().Cluster;
            var mode = Mode(cluster);
            var chain = listener.DefaultFilterChain is not null ? "default filter chain" : $"catch-all chain {(catchAll.Name.Length > 0 ? catchAll.Name : "(unnamed)")}";
            return mode is { } m ? new XdsEgressSignal(m, $"listener {listener.Name}: {chain} → {cluster}", Explicit: true) : null;
        }
        return null;
    }

    /// <summary>True when <paramref name="host"/> is Istio's catch-all virtual host; then the signal or the reason is set.</summary>
    public static bool TryVirtualHost(string configName, VirtualHost host, out XdsEgressSignal? signal, out string? reason)
    {
        signal = null;
        reason = null;
        if (host.Name is not (AllowAnyHost or BlockAllHost)) return false;
        var route = host.Routes.Count == 1 ? host.Routes[0] : null;
        var where = $"route configuration {configName}: virtual host {host.Name}";
        if (host.Domains.Count != 1 || host.Domains[0] != "*" || route?.Match is not { PathSpecifierCase: RouteMatch.PathSpecifierOneofCase.Prefix, Prefix: "/" })
            reason = "Istio's catch-all virtual host must have domain \"*\" and one route on prefix \"/\"";
        else if (host.Name == AllowAnyHost)
        {
            if (route.ActionCase == EnvoyRoute.ActionOneofCase.Route_ && Mode(route.Route_.Cluster) == XdsEgressMode.AllowAny)
                signal = new XdsEgressSignal(XdsEgressMode.AllowAny, $"{where} → {IstioSpecialCluster.Passthrough}", Explicit: true);
            else reason = $"Istio's {AllowAnyHost} virtual host must route to {IstioSpecialCluster.Passthrough}";
        }
        else if (route.ActionCase == EnvoyRoute.ActionOneofCase.DirectResponse)
            signal = new XdsEgressSignal(XdsEgressMode.RegistryOnly, $"{where} → {route.DirectResponse.Status}", Explicit: true);
        else reason = $"Istio's {BlockAllHost} virtual host must answer directly (502)";
        return true;
    }

    private static XdsEgressMode? Mode(string cluster) => cluster switch
    {
        IstioSpecialCluster.Passthrough => XdsEgressMode.AllowAny,
        IstioSpecialCluster.BlackHole => XdsEgressMode.RegistryOnly,
        _ => null,
    };
}
