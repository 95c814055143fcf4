using System.Net;
using Envoy.Config.Endpoint.V3;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A ClusterLoadAssignment → its routable endpoints. Endpoints that are not HEALTHY or UNKNOWN are left out (as gRPC's
/// own xDS client does); an address we cannot connect to by IP (a pipe, a named port, a hostname) refuses the whole
/// assignment, so a cluster never runs on half of its endpoints. Each endpoint keeps its own weight and its
/// locality's priority (the picker prefers priority 0 and fails over by level); the locality's own weight is not
/// kept: istiod sets it to the sum of its endpoints' weights, so the endpoint weights already give those shares.
/// </summary>
public static class EndpointTranslator
{
    public static IReadOnlyList<XdsEndpoint>? Translate(ClusterLoadAssignment assignment, out string? reason)
    {
        reason = null;
        var endpoints = new List<XdsEndpoint>();
        if (LocalityWeightRefusal(assignment) is { } refusal)
        {
            reason = refusal;
            return null;
        }
        foreach (var locality in assignment.Endpoints)
        {
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
                endpoints.Add(new XdsEndpoint(new IPEndPoint(ip, (int)socket.PortValue), (int)Math.Min(weight, int.MaxValue), (int)Math.Min(locality.Priority, int.MaxValue)));
            }
        }
        return endpoints;
    }

    /// <summary>
    /// Locality weights change the draw only when a priority has several localities whose weights are not in
    /// proportion to their endpoints' weights (istiod writes the sum; `localityLbSetting.distribute` writes its own):
    /// that is locality-weighted balancing, which is refused rather than drawn differently.
    /// </summary>
    private static string? LocalityWeightRefusal(ClusterLoadAssignment assignment)
    {
        foreach (var level in assignment.Endpoints.Where(l => l.LoadBalancingWeight is not null).GroupBy(l => l.Priority))
        {
            var localities = level.Select(l => (Locality: l, Weight: (long)l.LoadBalancingWeight!.Value,
                Sum: l.LbEndpoints.Where(e => e.HealthStatus is HealthStatus.Healthy or HealthStatus.Unknown).Sum(e => (long)(e.LoadBalancingWeight ?? 1)))).ToList();
            var first = localities[0];
            foreach (var other in localities.Skip(1))
                if (other.Weight * first.Sum != first.Weight * other.Sum)
                    return $"locality {Describe(first.Locality.Locality)} has weight {first.Weight} for endpoint weights {first.Sum}, " +
                        $"locality {Describe(other.Locality.Locality)} {other.Weight} for {other.Sum}: " +
                        "locality-weighted balancing (localityLbSetting distribute) is not supported";
        }
        return null;
    }

    private static string Describe(Envoy.Config.Core.V3.Locality? locality) =>
        locality is null ? "(none)" : string.Join('/', new[] { locality.Region, locality.Zone, locality.SubZone }.Where(p => p.Length > 0).DefaultIfEmpty("(none)"));
}
