namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Starves processes of CPU: a cgroup of their own with a CPU bandwidth quota (cgroup v2 `cpu.max`, or the v1 cpu
/// controller's `cpu.cfs_quota_us`/`cpu.cfs_period_us` where v2 has no cpu controller, as on hybrid hosts), shared
/// with a busy loop so the quota is always used up and every wake-up of theirs waits for the next period. Disposing
/// moves them back to the cgroup they came from, ends the busy loop and removes the cgroup.
/// </summary>
public sealed class CpuQuota : IAsyncDisposable
{
    private readonly string _dir;
    private readonly Dictionary<int, string> _origins;
    private readonly RunningProcess _burner;

    private CpuQuota(string dir, Dictionary<int, string> origins, RunningProcess burner)
    {
        _dir = dir;
        _origins = origins;
        _burner = burner;
    }

    /// <summary>Puts <paramref name="pids"/> (whole processes) under a quota of <paramref name="quota"/> per <paramref name="period"/>.</summary>
    public static CpuQuota Apply(IReadOnlyList<int> pids, TimeSpan quota, TimeSpan period)
    {
        var (root, v2) = CpuHierarchy();
        var origins = pids.ToDictionary(pid => pid, pid => Path.Join(root, CgroupOf(pid, v2)));
        var dir = Path.Join(root, "axt-starve-" + TempDirectory.NewId());
        Directory.CreateDirectory(dir);
        var quotaUs = (long)quota.TotalMicroseconds;
        var periodUs = (long)period.TotalMicroseconds;
        if (v2) File.WriteAllText(Path.Join(dir, "cpu.max"), $"{quotaUs} {periodUs}");
        else
        {
            File.WriteAllText(Path.Join(dir, "cpu.cfs_period_us"), periodUs.ToString());
            File.WriteAllText(Path.Join(dir, "cpu.cfs_quota_us"), quotaUs.ToString());
        }
        var burner = RunningProcess.Start("sh", ["-c", "echo $$ > \"$1/cgroup.procs\" && exec sh -c 'while :; do :; done'", "sh", dir]);
        foreach (var pid in pids) File.WriteAllText(Path.Join(dir, "cgroup.procs"), pid.ToString());
        return new CpuQuota(dir, origins, burner);
    }

    /// <summary>The process's cgroup path in the hierarchy (v2: the "0::" line; v1: the line of the cpu controller).</summary>
    private static string CgroupOf(int pid, bool v2) => File.ReadLines($"/proc/{pid}/cgroup")
        .Select(l => l.Split(':', 3))
        .First(f => v2 ? f[0] == "0" : f[1].Split(',').Contains("cpu"))[2];

    /// <summary>The cgroup root that has the cpu controller: the v2 mount when it offers `cpu`, else the v1 cpu mount.</summary>
    private static (string Root, bool V2) CpuHierarchy()
    {
        if (TestCgroups.Parent is { } parent && File.Exists(Path.Join(parent, "cgroup.subtree_control"))
            && File.ReadAllText(Path.Join(parent, "cgroup.subtree_control")).Split(' ', '\n').Contains("cpu"))
            return (parent, true);
        var v1 = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(" - ", 2))
            .Where(h => h.Length == 2 && h[1].StartsWith("cgroup ", StringComparison.Ordinal) && h[1].Split(' ')[2].Split(',').Contains("cpu"))
            .Select(h => h[0].Split(' ')[4]).FirstOrDefault();
        return (v1 ?? throw new InvalidOperationException("no cgroup with the cpu controller"), false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (pid, origin) in _origins)
            try { File.WriteAllText(Path.Join(origin, "cgroup.procs"), pid.ToString()); }
            catch (IOException) { } // gone already
        await _burner.DisposeAsync();
        await Eventually.UntilAsync(() =>
        {
            try
            {
                Directory.Delete(_dir);
                return true;
            }
            catch (IOException) { return false; } // EBUSY until the busy loop is reaped
        }, TestCgroups.RemoveTimeout, $"the cgroup {_dir} to be removed");
    }
}
