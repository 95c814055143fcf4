namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A cluster the agent can route to: an Istio service port (or one of its subsets) whose endpoints come from EDS
/// under <see cref="EndpointsName"/>, or inline (<see cref="StaticEndpoints"/>, STATIC clusters).
/// </summary>
public sealed record XdsCluster(string Name, IstioClusterName Service, string EndpointsName, IReadOnlyList<XdsEndpoint>? StaticEndpoints);
