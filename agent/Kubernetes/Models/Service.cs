namespace AppSwitch.Agent.Kubernetes.Models;

public sealed record Service : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();
    public ServiceSpec Spec { get; init; } = new();
}

public sealed record ServiceSpec
{
    public string? ClusterIP { get; init; }
    public List<string>? ClusterIPs { get; init; }
    public Dictionary<string, string>? Selector { get; init; }
    public List<ServicePort>? Ports { get; init; }
}

public sealed record ServicePort
{
    public string? Name { get; init; }
    public string? Protocol { get; init; }
    public int Port { get; init; }
}
