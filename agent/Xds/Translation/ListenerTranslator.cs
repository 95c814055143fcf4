using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A proxyless listener (named `host:port`, an api_listener holding an HTTP connection manager) → the name of the
/// route configuration it takes from RDS. Inline route configs and socket listeners (sidecar mode) are refused.
/// </summary>
public static class ListenerTranslator
{
    public static string? RouteConfigName(Listener listener, out string? reason)
    {
        reason = null;
        if (string.IsNullOrEmpty(listener.Name)) reason = "a listener without a name";
        else if (listener.ApiListener?.ApiListener_ is not { } any) reason = "not an api_listener (sidecar listeners are not supported: use GENERATOR=grpc)";
        else if (!any.Is(HttpConnectionManager.Descriptor)) reason = $"api_listener holds {any.TypeUrl}, not an HttpConnectionManager";
        else
        {
            var manager = any.Unpack<HttpConnectionManager>();
            if (manager.RouteSpecifierCase != HttpConnectionManager.RouteSpecifierOneofCase.Rds || manager.Rds.RouteConfigName.Length == 0)
                reason = "the HttpConnectionManager must take its routes from RDS";
            else return manager.Rds.RouteConfigName;
        }
        return null;
    }
}
