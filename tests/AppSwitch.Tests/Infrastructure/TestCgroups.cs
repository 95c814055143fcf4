namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// The cgroup v2 directories test agents make for the socket lock (`--socket-lock-cgroup`, one per test node, named
/// after its namespace). The agent enters &lt;its cgroup&gt;/&lt;name&gt;; it starts in the test run's cgroup, so the
/// directory is under ours. Removing the directory detaches the agent's BPF programs.
/// </summary>
public static class TestCgroups
{
    public static readonly TimeSpan RemoveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The cgroup2 mount point seen by this process, or null without cgroup2.</summary>
    public static string? Mount { get; } = File.ReadLines("/proc/self/mountinfo")
        .Select(l => l.Split(" - ", 2))
        .Where(h => h.Length == 2 && h[1].StartsWith("cgroup2 ", StringComparison.Ordinal) && h[0].Split(' ')[3] == "/")
        .Select(h => h[0].Split(' ')[4]).FirstOrDefault();

    /// <summary>The test run's own cgroup directory (the parent of the agents').</summary>
    public static string? Parent { get; } = Mount is null ? null : Mount.TrimEnd('/') +
        File.ReadLines("/proc/self/cgroup").First(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];

    /// <summary>The directory of the socket-lock cgroup <paramref name="name"/> (it may not exist).</summary>
    public static string PathOf(string name) =>
        Path.Join(Parent ?? throw new InvalidOperationException("no cgroup2 mount"), name);

    /// <summary>Names of the cgroups directly under ours that start with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> Named(string prefix) => Parent is null
        ? []
        : [.. Directory.EnumerateDirectories(Parent, prefix + "*").Select(d => Path.GetFileName(d)!)];

    /// <summary>
    /// Removes the cgroup once its processes are gone (a killed agent leaves it when the kernel has reaped it);
    /// throws when it still has processes after <see cref="RemoveTimeout"/>.
    /// </summary>
    public static async Task RemoveAsync(string name)
    {
        if (Parent is null) return;
        var path = PathOf(name);
        await Eventually.UntilAsync(() =>
        {
            if (!Directory.Exists(path)) return true;
            try
            {
                Directory.Delete(path); // rmdir: a cgroup's control files do not count
                return true;
            }
            catch (IOException) { return false; } // EBUSY: a process is still in it
        }, RemoveTimeout, $"the cgroup {path} to be empty and removed",
            () => File.Exists(Path.Join(path, "cgroup.procs")) ? "processes: " + File.ReadAllText(Path.Join(path, "cgroup.procs")) : "");
    }
}
