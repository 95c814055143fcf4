namespace AppSwitch.Agent.Kubernetes.PodIdentity;

/// <summary>
/// Kubernetes mode's check of an `ax run`: derives the launcher's pod from its cgroup, matches the UID against the
/// pods the registry adapter watches (waiting up to <see cref="WaitForPod"/> for a pod the watch has not delivered
/// yet) and applies <see cref="PodClaim"/>.
/// </summary>
public sealed class PodIdentityVerifier(KubernetesRegistry registry, string cgroupRoot, string? watchedNamespace)
{
    /// <summary>
    /// A pod exists in the API before the kubelet starts its containers, so a running pod is normally known already;
    /// the wait covers an agent that has just started (its first list) and a watch event still on its way.
    /// </summary>
    public static readonly TimeSpan WaitForPod = TimeSpan.FromSeconds(5);

    /// <summary>Runs on the launcher's own thread (blocking is fine there: the launcher waits for our answer).</summary>
    public PodVerdict Verify(int socketFd, int pid, uint peerUid, string? claimedName)
    {
        var cgroup = LauncherCgroup.Read(socketFd, pid, out var problem);
        if (cgroup is null) return PodVerdict.Refused($"cannot tell which pod the launcher runs in: {problem}");
        var uids = PodCgroupPath.PodUids(cgroup, cgroupRoot);
        var pod = uids.Count == 1 ? AwaitPod(uids[0]) : null;
        return PodClaim.Decide(uids, pod, peerUid, claimedName, watchedNamespace is null ? "every namespace" : $"namespace {watchedNamespace}");
    }

    private KubePodRef? AwaitPod(string uid)
    {
        var deadline = DateTime.UtcNow + WaitForPod;
        while (true)
        {
            var replaced = registry.NextReplace; // taken before looking: a replace in between still wakes us
            if (registry.PodOfUid(uid) is { } pod) return pod;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !replaced.Wait(left)) return null;
        }
    }
}
