namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A cluster the agent can route to: an Istio service port (or one of its subsets, or a ServiceEntry host) whose
/// endpoints come from EDS under <see cref="EndpointsName"/>, or inline (<see cref="StaticEndpoints"/>, STATIC and
/// DNS clusters). An Istio special (<see cref="Egress"/> set) has no <see cref="Service"/> and no endpoints: it only
/// says the outbound traffic policy.
/// </summary>
public sealed record XdsCluster(string Name, IstioClusterName? Service, string EndpointsName, IReadOnlyList<XdsEndpoint>? StaticEndpoints,
    XdsEgressMode? Egress = null);
