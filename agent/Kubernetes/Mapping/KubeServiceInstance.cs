namespace AppSwitch.Agent.Kubernetes.Mapping;

/// <summary>
/// One service instance in Amalgam8's shape: `{service_name, endpoint {type, value}, tags}`.
/// Namespace and PortName say where it came from (the port name pairs it with its Service port).
/// </summary>
public sealed record KubeServiceInstance(string Service, string Namespace, string? PortName, KubeInstanceEndpoint Endpoint, IReadOnlyList<string> Tags);
