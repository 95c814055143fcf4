namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>core/v1 Endpoints (the older form, used when a Service has no EndpointSlices).</summary>
public sealed record Endpoints : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();
    public List<EndpointSubset>? Subsets { get; init; }
}

public sealed record EndpointSubset
{
    /// <summary>Ready addresses only; not-ready ones are in notReadyAddresses, which we do not read.</summary>
    public List<EndpointAddress>? Addresses { get; init; }
    public List<EndpointPort>? Ports { get; init; }
}

public sealed record EndpointAddress
{
    public string Ip { get; init; } = "";
    public ObjectReference? TargetRef { get; init; }
}
