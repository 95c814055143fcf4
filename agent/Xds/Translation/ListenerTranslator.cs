using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A listener → the RDS route configurations it takes and the outbound policy it says. Proxyless listeners (named
/// `host:port`) hold an api_listener with an HTTP connection manager. Sidecar listeners (`0.0.0.0_9080`,
/// `virtualOutbound`) hold filter chains: their connection managers' RDS names are read, and a catch-all chain's
/// tcp_proxy target says the outbound policy (<see cref="IstioCatchAll"/>); their other TCP chains forward to
/// services the agent already decides at connect(). Inline route configs and listeners with neither are refused.
/// </summary>
public static class ListenerTranslator
{
    public const string HttpConnectionManagerFilter = "envoy.filters.network.http_connection_manager";

    public static XdsListener? Translate(Listener listener, out string? reason)
    {
        reason = null;
        if (string.IsNullOrEmpty(listener.Name)) return Refuse("a listener without a name", out reason);
        if (listener.ApiListener?.ApiListener_ is { } any)
        {
            if (!any.Is(HttpConnectionManager.Descriptor)) return Refuse($"api_listener holds {any.TypeUrl}, not an HttpConnectionManager", out reason);
            return RouteConfigName(any.Unpack<HttpConnectionManager>(), out reason) is { } name ? new XdsListener(listener.Name, [name], null) : null;
        }
        var chains = listener.FilterChains.Append(listener.DefaultFilterChain).OfType<FilterChain>().ToList();
        if (chains.Count == 0) return Refuse("neither an api_listener nor filter chains", out reason);
        var routes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var filter in chains.SelectMany(c => c.Filters))
        {
            if (filter.Name != HttpConnectionManagerFilter || filter.TypedConfig is not { } config) continue;
            if (!config.Is(HttpConnectionManager.Descriptor)) return Refuse($"filter {filter.Name} holds {config.TypeUrl}", out reason);
            if (RouteConfigName(config.Unpack<HttpConnectionManager>(), out reason) is not { } name) return null;
            routes.Add(name);
        }
        return new XdsListener(listener.Name, [.. routes], IstioCatchAll.OfListener(listener));
    }

    private static string? RouteConfigName(HttpConnectionManager manager, out string? reason)
    {
        reason = null;
        if (manager.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.Rds && manager.Rds.RouteConfigName.Length > 0)
            return manager.Rds.RouteConfigName;
        reason = "the HttpConnectionManager must take its routes from RDS";
        return null;
    }

    private static XdsListener? Refuse(string why, out string reason)
    {
        reason = why;
        return null;
    }
}
