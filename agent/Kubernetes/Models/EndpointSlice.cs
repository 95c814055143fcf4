namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>discovery.k8s.io/v1 EndpointSlice; label kubernetes.io/service-name names its Service.</summary>
public sealed record EndpointSlice : IKubeObject
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public ObjectMeta Metadata { get; init; } = new();
    public string? AddressType { get; init; }
    public List<SliceEndpoint>? Endpoints { get; init; }
    public List<EndpointPort>? Ports { get; init; }
}

public sealed record SliceEndpoint
{
    public List<string> Addresses { get; init; } = [];
    public EndpointConditions? Conditions { get; init; }
    public ObjectReference? TargetRef { get; init; }
    public string? NodeName { get; init; }
}

public sealed record EndpointConditions
{
    /// <summary>Null means unknown, which Kubernetes says to read as ready.</summary>
    public bool? Ready { get; init; }
}

public sealed record EndpointPort
{
    public string? Name { get; init; }
    public string? Protocol { get; init; }
    public int? Port { get; init; }
}

public sealed record ObjectReference
{
    public string? Kind { get; init; }
    public string? Name { get; init; }
    public string? Namespace { get; init; }
}
