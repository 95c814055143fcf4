namespace AppSwitch.Agent.Routing;

/// <summary>`--expose` of another node's app: to the node socket of that app's server on <paramref name="AppPort"/>.</summary>
public sealed record ExposeRoute(string NodeName, string AppId, int AppPort) : RelayRoute
{
    public override string Id => $"expose-{AppId}-{AppPort}";
    public override string ToString() => $"app {AppId} port {AppPort} on {NodeName}";
}
