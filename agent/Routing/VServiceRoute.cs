namespace AppSwitch.Agent.Routing;

/// <summary>An external vservice's vport: to a backend chosen by the vservice's load balancing.</summary>
public sealed record VServiceRoute(string Owner, string Name, int VPort) : RelayRoute
{
    public override string Id => $"vservice-{Name}-{VPort}";
    public override string ToString() => $"vservice {Name} port {VPort}";
}
