namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>The API server's error body (kind Status), also the object of a watch ERROR event.</summary>
public sealed record KubeStatus
{
    public string? Status { get; init; }
    public string? Message { get; init; }
    public string? Reason { get; init; }
    public int Code { get; init; }
}
