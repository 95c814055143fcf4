namespace AppSwitch.Agent.Kubernetes.PodIdentity;

/// <summary>The pod an app runs as (its name, and its UID when the launcher's cgroup proved it), or why it may not run.</summary>
public sealed record PodVerdict(string? PodName, string? PodUid, string? Refusal)
{
    public static PodVerdict Refused(string reason) => new(null, null, reason);
}
