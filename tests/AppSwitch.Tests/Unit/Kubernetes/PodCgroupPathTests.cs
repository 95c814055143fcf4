using AppSwitch.Agent.Kubernetes.PodIdentity;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>
/// The pod UID in /proc/PID/cgroup as the kubelet's cgroup drivers and the container runtimes lay them out, and the
/// look-alikes that are not a pod's (a `pod&lt;uid&gt;` directory in a delegated subtree).
/// </summary>
public sealed class PodCgroupPathTests
{
    private const string Uid = "5f2c1a6e-8b3d-4c7a-9e10-2b4d6f8a0c1e";
    private const string Escaped = "5f2c1a6e_8b3d_4c7a_9e10_2b4d6f8a0c1e";
    private const string ContainerId = "0d5c9a1f3e7b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d";

    [Theory]
    // cgroupfs driver (cgroup v1 controllers and v2)
    [InlineData("0::/kubepods/burstable/pod" + Uid + "/" + ContainerId)]
    [InlineData("0::/kubepods/besteffort/pod" + Uid + "/" + ContainerId)]
    [InlineData("0::/kubepods/pod" + Uid + "/" + ContainerId)] // Guaranteed QoS: right under kubepods
    [InlineData("0::/kubepods/burstable/pod" + Uid)] // the pod level itself (a sandbox process)
    [InlineData("12:memory:/kubepods/burstable/pod" + Uid + "/" + ContainerId)]
    // systemd driver, containerd / CRI-O / docker scopes
    [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + Escaped + ".slice/cri-containerd-" + ContainerId + ".scope")]
    [InlineData("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + Escaped + ".slice/crio-" + ContainerId + ".scope")]
    [InlineData("0::/kubepods.slice/kubepods-pod" + Escaped + ".slice/docker-" + ContainerId + ".scope")]
    [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + Escaped + ".slice/crio-conmon-" + ContainerId + ".scope")]
    // kind's nodes (the kubelet itself in a slice)
    [InlineData("0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + Escaped + ".slice/cri-containerd-" + ContainerId + ".scope")]
    // the agent in a cgroup namespace of its own (containerd's default on cgroup v2) sees other pods relative to its root
    [InlineData("0::/../../kubepods-burstable.slice/kubepods-burstable-pod" + Escaped + ".slice/cri-containerd-" + ContainerId + ".scope")]
    [InlineData("0::/../../../burstable/pod" + Uid + "/" + ContainerId)]
    // a container may make cgroups of its own below its scope
    [InlineData("0::/kubepods/burstable/pod" + Uid + "/" + ContainerId + "/init.scope")]
    public void Finds_the_pod_uid_in_each_layout(string line) =>
        Assert.Equal([Uid], PodCgroupPath.PodUids(line + "\n", "/"));

    [Fact]
    public void A_hybrid_host_file_names_the_pod_in_its_v1_lines_and_the_root_in_its_v2_line()
    {
        var file = $"""
            12:pids:/kubepods/burstable/pod{Uid}/{ContainerId}
            11:memory:/kubepods/burstable/pod{Uid}/{ContainerId}
            1:name=systemd:/kubepods/burstable/pod{Uid}/{ContainerId}
            0::/
            """;
        Assert.Equal([Uid], PodCgroupPath.PodUids(file, "/"));
    }

    [Fact]
    public void Hierarchies_that_name_two_pods_give_both()
    {
        const string other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
        var file = $"11:memory:/kubepods/pod{Uid}/c\n0::/kubepods/pod{other}/c\n";
        Assert.Equal([Uid, other], PodCgroupPath.PodUids(file, "/"));
    }

    [Fact]
    public void A_static_pod_carries_its_manifest_hash()
    {
        const string hash = "9f86d081884c7d659a2feaa0c55ad015";
        Assert.Equal([hash], PodCgroupPath.PodUids($"0::/kubepods/besteffort/pod{hash}/{ContainerId}\n", "/"));
    }

    [Theory]
    [InlineData("0::/")]
    [InlineData("0::/system.slice/containerd.service")]
    [InlineData("0::/user.slice/user-1000.slice/session-3.scope")]
    [InlineData("4:memory:/process_api/6562c7fbbe951f332e31e7958ea48a7c")]
    // look-alikes an unprivileged user can make in a delegated subtree: not below the kubelet's directories
    [InlineData("0::/user.slice/user-1000.slice/user@1000.service/kubepods/burstable/pod" + Uid + "/c1")]
    [InlineData("0::/user.slice/user-1000.slice/user@1000.service/app.slice/kubepods-burstable-pod" + Escaped + ".slice/x.scope")]
    [InlineData("0::/../../user.slice/user-1000.slice/user@1000.service/kubepods/pod" + Uid + "/c1")]
    // below a service's cgroup, not the kubelet's
    [InlineData("0::/system.slice/kubepods/pod" + Uid + "/c1")]
    // not a UID
    [InlineData("0::/kubepods/burstable/podnotauid/c1")]
    [InlineData("0::/kubepods/burstable/pod" + Escaped + "/c1")] // underscores belong to systemd names only
    [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + Uid + ".slice/c.scope")] // and dashes not there
    [InlineData("0::/kubepods/burstable/POD" + Uid + "/c1")]
    [InlineData("garbage without colons")]
    [InlineData("")]
    public void Finds_no_pod_where_there_is_none(string file) =>
        Assert.Empty(PodCgroupPath.PodUids(file, "/"));

    [Fact]
    public void A_pod_of_another_pod_below_the_first_is_the_first()
    {
        const string other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
        Assert.Equal([Uid], PodCgroupPath.PodUids($"0::/kubepods/pod{Uid}/c1/kubepods/pod{other}/c2", "/"));
    }

    [Fact]
    public void Pods_count_below_the_kubelets_cgroup_root_only()
    {
        var line = $"0::/axt-1f2e/kubepods/burstable/pod{Uid}/c1";
        Assert.Empty(PodCgroupPath.PodUids(line, "/"));
        Assert.Equal([Uid], PodCgroupPath.PodUids(line, "/axt-1f2e"));
        Assert.Equal([Uid], PodCgroupPath.PodUids(line, "/axt-1f2e/"));
        Assert.Empty(PodCgroupPath.PodUids(line, "/other"));
        Assert.Equal([Uid], PodCgroupPath.PodUids($"0::/kubepods/pod{Uid}/c1", "/axt-1f2e")); // the default layout still counts
    }
}
