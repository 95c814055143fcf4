namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// Istio's outbound traffic policy as its special clusters say it: PassthroughCluster = ALLOW_ANY (any address
/// outside the mesh), BlackHoleCluster = REGISTRY_ONLY (only the endpoints of services and ServiceEntries it sent).
/// </summary>
public enum XdsEgressMode
{
    AllowAny,
    RegistryOnly,
}
