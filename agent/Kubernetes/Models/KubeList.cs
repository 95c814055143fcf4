namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>A list answer (`PodList`, `ServiceList`, …): the items and the version to watch from.</summary>
public sealed record KubeList<T>
{
    public ListMeta Metadata { get; init; } = new();
    public List<T>? Items { get; init; }
}

public sealed record ListMeta
{
    public string? ResourceVersion { get; init; }
    /// <summary>Set when the server cut the list into pages; the next request passes it back.</summary>
    public string? Continue { get; init; }
}
