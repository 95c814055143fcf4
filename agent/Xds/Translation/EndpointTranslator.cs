using System.Net;
using Envoy.Config.Endpoint.V3;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A ClusterLoadAssignment → its routable endpoints. Endpoints that are not HEALTHY or UNKNOWN are left out (as gRPC's
/// own xDS client does); an address we cannot connect to by IP (a pipe, a named port, a hostname) refuses the whole
/// assignment, so a cluster never runs on half of its endpoints.
/// </summary>
public static class EndpointTranslator
{
    public static IReadOnlyList<XdsEndpoint>? Translate(ClusterLoadAssignment assignment, out string? reason)
    {
        reason = null;
        var endpoints = new List<XdsEndpoint>();
        foreach (var locality in assignment.Endpoints)
            foreach (var lb in locality.LbEndpoints)
            {
                if (lb.HealthStatus is not (HealthStatus.Healthy or HealthStatus.Unknown)) continue;
                if (lb.HostIdentifierCase != LbEndpoint.HostIdentifierOneofCase.Endpoint)
                {
                    reason = "named endpoints are not supported";
                    return null;
                }
                var address = lb.Endpoint.Address;
                if (address?.SocketAddress is not { } socket)
                {
                    reason = "an endpoint without a socket address";
                    return null;
                }
                if (socket.PortSpecifierCase != Envoy.Config.Core.V3.SocketAddress.PortSpecifierOneofCase.PortValue || socket.PortValue is 0 or > 65535)
                {
                    reason = $"endpoint {socket.Address}: a numeric port is needed";
                    return null;
                }
                if (socket.Protocol != Envoy.Config.Core.V3.SocketAddress.Types.Protocol.Tcp)
                {
                    reason = $"endpoint {socket.Address}:{socket.PortValue}: only TCP endpoints are supported";
                    return null;
                }
                if (!IPAddress.TryParse(socket.Address, out var ip))
                {
                    reason = $"endpoint \"{socket.Address}\" is not an IP address";
                    return null;
                }
                var weight = lb.LoadBalancingWeight ?? 1;
                if (weight == 0) continue;
                endpoints.Add(new XdsEndpoint(new IPEndPoint(ip, (int)socket.PortValue), (int)Math.Min(weight, int.MaxValue)));
            }
        return endpoints;
    }
}
