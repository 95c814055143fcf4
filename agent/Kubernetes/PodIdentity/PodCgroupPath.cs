using System.Text.RegularExpressions;

namespace AppSwitch.Agent.Kubernetes.PodIdentity;

/// <summary>
/// The pod UID a process's cgroup carries, where the kubelet puts pods: cgroupfs driver
/// `/kubepods[/burstable|/besteffort]/pod&lt;uid&gt;/&lt;container&gt;`, systemd driver
/// `/kubepods.slice[/kubepods-burstable.slice]/kubepods-burstable-pod&lt;uid with _ for -&gt;.slice/cri-containerd-&lt;id&gt;.scope`
/// (also crio- and docker- scopes), under the kubelet's cgroup root. A pod segment counts only right below those
/// ancestors: anyone with a delegated cgroup subtree (systemd user slices) can make a directory named `pod&lt;uid&gt;`
/// elsewhere, while the kubepods directories at the root belong to root. Leading `..` segments (the agent in a cgroup
/// namespace of its own sees other cgroups relative to its root) are the kernel's, not the process's, and are skipped.
/// </summary>
public static partial class PodCgroupPath
{
    /// <summary>
    /// The distinct pod UIDs (lowercase, with dashes) found in the lines of a /proc/PID/cgroup file
    /// (`hierarchy:controllers:path`, one per cgroup v1 hierarchy and `0::path` for cgroup v2): empty when the
    /// process is in no pod, more than one when its hierarchies disagree.
    /// </summary>
    /// <param name="cgroupRoot">The kubelet's --cgroup-root ("/" by default).</param>
    public static IReadOnlyList<string> PodUids(string procCgroupText, string cgroupRoot)
    {
        var root = Segments(cgroupRoot);
        var uids = new List<string>();
        foreach (var line in procCgroupText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(':', 3);
            if (fields.Length == 3 && PodUidOf(fields[2], root) is { } uid && !uids.Contains(uid)) uids.Add(uid);
        }
        return uids;
    }

    /// <summary>The pod UID of one cgroup path, or null when the path is not a pod's (or its container's).</summary>
    public static string? PodUidOf(string path, IReadOnlyList<string> cgroupRoot)
    {
        var segments = Segments(path);
        var i = 0;
        while (i < segments.Count && segments[i] == "..") i++;
        if (segments.Count - i > cgroupRoot.Count && segments.Skip(i).Take(cgroupRoot.Count).SequenceEqual(cgroupRoot, StringComparer.Ordinal))
            i += cgroupRoot.Count;
        while (i < segments.Count && Ancestor().IsMatch(segments[i])) i++;
        if (i == segments.Count) return null;
        var pod = CgroupfsPod().Match(segments[i]);
        if (pod.Success) return pod.Groups["uid"].Value;
        pod = SystemdPod().Match(segments[i]);
        return pod.Success ? pod.Groups["uid"].Value.Replace('_', '-') : null;
    }

    public static IReadOnlyList<string> Segments(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>What the kubelet puts above pods: kubepods and its QoS classes (kind's nodes add a kubelet level).</summary>
    [GeneratedRegex(@"^(kubelet|kubepods|burstable|besteffort|(kubelet-)?kubepods(-burstable|-besteffort)?\.slice|kubelet\.slice)$")]
    private static partial Regex Ancestor();

    /// <summary>`pod&lt;uid&gt;`; static pods carry a 32-digit hash of their manifest instead of a UUID.</summary>
    [GeneratedRegex(@"^pod(?<uid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$")]
    private static partial Regex CgroupfsPod();

    /// <summary>`kubepods[-qos]-pod&lt;uid&gt;.slice`: systemd unit names escape the UUID's dashes as underscores.</summary>
    [GeneratedRegex(@"^(kubelet-)?kubepods(-burstable|-besteffort)?-pod(?<uid>[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}|[0-9a-f]{32})\.slice$")]
    private static partial Regex SystemdPod();
}
