namespace AppSwitch.Agent.Kubernetes.PodIdentity;

/// <summary>
/// Kubernetes mode's rule for the pod an `ax run` claims (`--kubernetes-pod-name`, POD_NAME, KUBERNETES_POD_NAME):
/// a launcher inside a pod is that pod, whatever it claims; naming another pod is refused, naming none gives it
/// its own. Outside pods (no pod UID in its cgroup) only root on the node may name a pod (taken by name, as the
/// node's admin says); anyone else runs as no pod.
/// </summary>
public static class PodClaim
{
    public const string ClaimSources = "--kubernetes-pod-name, POD_NAME or KUBERNETES_POD_NAME";

    /// <param name="cgroupPodUids">The pod UIDs of the launcher's cgroup (<see cref="PodCgroupPath.PodUids"/>).</param>
    /// <param name="pod">The watched pod of that UID (after waiting for it), null when unknown.</param>
    public static PodVerdict Decide(IReadOnlyList<string> cgroupPodUids, KubePodRef? pod, uint peerUid, string? claimedName, string watched)
    {
        switch (cgroupPodUids.Count)
        {
            case 0 when claimedName is null:
                return new PodVerdict(null, null, null);
            case 0 when peerUid == 0:
                return new PodVerdict(claimedName, null, null);
            case 0:
                return PodVerdict.Refused($"pod name \"{claimedName}\" ({ClaimSources}) refused: the launcher runs in no pod " +
                    $"(its cgroup carries no pod UID) and as uid {peerUid}; outside pods only root may name a pod");
            case > 1:
                return PodVerdict.Refused($"the launcher's cgroups name more than one pod ({string.Join(", ", cgroupPodUids)}); refusing to guess");
        }
        var uid = cgroupPodUids[0];
        if (pod is null)
            return PodVerdict.Refused($"pod {uid} (from the launcher's cgroup) is not known to the agent yet: it is not among the pods " +
                $"it watches ({watched}); try again once the API server lists it");
        if (claimedName is not null && claimedName != pod.Name)
            return PodVerdict.Refused($"pod name \"{claimedName}\" ({ClaimSources}) is not this pod's: the launcher runs in pod {pod.Namespace}/{pod.Name}");
        return new PodVerdict(pod.Name, uid, null);
    }
}
