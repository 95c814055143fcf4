namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A cluster the agent can route to: an Istio service port (or one of its subsets, or a ServiceEntry host) whose
/// endpoints come from EDS under <see cref="EndpointsName"/>, or inline (<see cref="StaticEndpoints"/>, STATIC and
/// DNS clusters with addresses), or from names the agent resolves (<see cref="Dns"/>, DNS clusters naming hosts).
/// An Istio special (<see cref="Egress"/> set) has no <see cref="Service"/> and no endpoints: it only says the
/// outbound traffic policy.
/// </summary>
public sealed record XdsCluster(string Name, IstioClusterName? Service, string EndpointsName, IReadOnlyList<XdsEndpoint>? StaticEndpoints,
    XdsEgressMode? Egress = null, XdsDnsCluster? Dns = null)
{
    /// <summary>True when the endpoints come from EDS (the client subscribes to <see cref="EndpointsName"/>).</summary>
    public bool FromEds => StaticEndpoints is null && Dns is null && Egress is null;
}
