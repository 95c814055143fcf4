namespace AppSwitch.Agent.Routing;

/// <summary>Where a relay sends its connections; the actual endpoint is looked up in the table at accept time.</summary>
public abstract record RelayRoute
{
    /// <summary>A short stable id for `ax get proxies`.</summary>
    public abstract string Id { get; }
}

/// <summary>`--expose` of another node's app: to the node socket of that app's server on <paramref name="AppPort"/>.</summary>
public sealed record ExposeRoute(string NodeName, string AppId, int AppPort) : RelayRoute
{
    public override string Id => $"expose-{AppId}-{AppPort}";
    public override string ToString() => $"app {AppId} port {AppPort} on {NodeName}";
}

/// <summary>An external vservice's vport: to a backend chosen by the vservice's load balancing.</summary>
public sealed record VServiceRoute(string Owner, string Name, int VPort) : RelayRoute
{
    public override string Id => $"vservice-{Name}-{VPort}";
    public override string ToString() => $"vservice {Name} port {VPort}";
}
