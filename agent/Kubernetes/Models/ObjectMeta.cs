namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>The part of every object's metadata the agent reads; unknown fields are ignored.</summary>
public sealed record ObjectMeta
{
    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public List<OwnerReference>? OwnerReferences { get; init; }
}

/// <summary>Who manages an object (a Pod's ReplicaSet, a ReplicaSet's Deployment).</summary>
public sealed record OwnerReference
{
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public string? Uid { get; init; }
    public bool? Controller { get; init; }
}

/// <summary>Anything with metadata: what the watch cache keys and versions.</summary>
public interface IKubeObject
{
    ObjectMeta Metadata { get; }
}
