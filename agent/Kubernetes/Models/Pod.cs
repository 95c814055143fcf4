namespace AppSwitch.Agent.Kubernetes.Models;

public sealed record Pod : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();
    public PodSpec? Spec { get; init; }
    public PodStatus? Status { get; init; }
}

public sealed record PodSpec
{
    public string? NodeName { get; init; }
}

public sealed record PodStatus
{
    public string? PodIP { get; init; }
    public string? HostIP { get; init; }
}
