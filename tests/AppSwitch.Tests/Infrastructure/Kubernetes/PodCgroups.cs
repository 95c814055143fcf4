namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// Real cgroup v2 directories laid out as the kubelet's cgroupfs driver lays out pods (`kubepods/burstable/pod&lt;uid&gt;/c1`)
/// below a root of the test's own (`axt-&lt;id&gt;` at the top of the cgroup2 mount; the agent is told it with
/// --kubernetes-cgroup-root); NodeShell.RunInCgroupAsync starts commands in them. Disposing kills whatever still
/// runs in them (cgroup.kill), waits until they are empty and removes the directories, pass or fail.
/// </summary>
public sealed class PodCgroups : IAsyncDisposable
{
    private readonly string _mount;
    private readonly string _top;

    /// <summary>The root as the agent's --kubernetes-cgroup-root takes it: `/axt-&lt;id&gt;`.</summary>
    public string Root { get; }

    private PodCgroups(string mount, string id)
    {
        _mount = mount;
        Root = "/" + TempDirectory.Prefix + id;
        _top = mount + Root;
        Directory.CreateDirectory(_top);
    }

    public static PodCgroups Create() =>
        new(Cgroup2Mount() ?? throw new InvalidOperationException("no cgroup2 mount on this machine"), TempDirectory.NewId());

    /// <summary>--kubernetes-cgroup-root with this root.</summary>
    public string[] AgentFlags => ["--kubernetes-cgroup-root", Root];

    /// <summary>Makes `&lt;root&gt;/kubepods/burstable/pod&lt;uid&gt;/c1` (a container of the pod) and returns its directory.</summary>
    public string ContainerOf(string podUid) => LookAlikeOf(podUid, ".");

    /// <summary>
    /// Makes the same layout below `&lt;root&gt;/&lt;parent&gt;` (like a user's delegated systemd subtree) and returns the
    /// container's directory: a look-alike, not where the kubelet puts pods.
    /// </summary>
    public string LookAlikeOf(string podUid, string parent) =>
        Directory.CreateDirectory(Path.Combine(_top, parent, "kubepods", "burstable", "pod" + podUid, "c1")).FullName;

    public async ValueTask DisposeAsync()
    {
        var kill = Path.Combine(_top, "cgroup.kill");
        if (File.Exists(kill)) await File.WriteAllTextAsync(kill, "1");
        await Eventually.UntilAsync(() => File.ReadAllText(Path.Combine(_top, "cgroup.events")).Contains("populated 0"),
            TimeSpan.FromSeconds(10), $"no process left in {_top}");
        foreach (var dir in Directory.EnumerateDirectories(_top, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(_top))
            Directory.Delete(dir); // cgroup directories go with rmdir; their control files go with them
    }

    private static string? Cgroup2Mount() =>
        File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "cgroup2")?[1];
}
