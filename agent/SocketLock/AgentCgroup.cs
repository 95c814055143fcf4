using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// Moves the agent (all its threads) into its own cgroup v2 child, so that every socket it makes from then on carries
/// that cgroup. The directory is kept across restarts: sockets made by an earlier agent point at that very cgroup
/// object, and a new directory of the same name would be a different one.
/// </summary>
internal sealed class AgentCgroup : IDisposable
{
    /// <summary>The cgroup as /proc/PID/cgroup shows it ("/appswitch-agent").</summary>
    public string Path { get; }
    /// <summary>The directory's inode number: the id bpf_get_current_cgroup_id() returns for our tasks.</summary>
    public ulong Id { get; }
    /// <summary>The cgroup directory, open (BPF_PROG_ATTACH's target).</summary>
    public int Fd { get; }

    private AgentCgroup(string path, ulong id, int fd) => (Path, Id, Fd) = (path, id, fd);

    public void Dispose() => Libc.Close(Fd);

    /// <summary>Enters &lt;our cgroup&gt;/&lt;name&gt; (or stays, when we already are in a cgroup of that name).</summary>
    public static AgentCgroup Enter(string name)
    {
        var current = CurrentCgroup() ?? throw new SocketLockUnavailableException("this process has no cgroup v2 path (/proc/self/cgroup has no 0:: line)");
        var path = System.IO.Path.GetFileName(current) == name ? current : System.IO.Path.Join(current, name);
        if (FindCgroup2Mount() is { } mount) return EnterUnder(mount, path);
        // `ip netns exec` mounts a fresh /sys without /sys/fs/cgroup: mount cgroup2 for the moment we need it.
        // The directory and the open fd outlive the mount.
        var temporary = Directory.CreateTempSubdirectory("appswitch-cgroup2-").FullName;
        try
        {
            if (FileCalls.MountFileSystem("cgroup2", temporary) is { IsError: true } failed)
                throw new SocketLockUnavailableException($"no cgroup2 file system is mounted and mounting one failed: {failed.Error}");
            try { return EnterUnder(temporary, path); }
            finally { FileCalls.Unmount(temporary); }
        }
        finally { Directory.Delete(temporary); }
    }

    private static AgentCgroup EnterUnder(string mount, string path)
    {
        var directory = mount.TrimEnd('/') + path;
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(System.IO.Path.Join(directory, "cgroup.procs"), Environment.ProcessId.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SocketLockUnavailableException($"cannot move the agent into the cgroup {directory}: {e.Message}");
        }
        using var fd = OwnedFd.From(FileCalls.OpenReadOnly(directory), out var error)
            ?? throw new SocketLockUnavailableException($"cannot open the cgroup {directory}: {error}");
        var id = SocketCalls.Inode(fd.Fd);
        if (id != 0) return new AgentCgroup(path, id, fd.Release());
        throw new SocketLockUnavailableException($"cannot stat the cgroup {directory}");
    }

    /// <summary>The mount point of the cgroup2 file system from /proc/self/mountinfo (fstype after the " - ").</summary>
    private static string? FindCgroup2Mount()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var halves = line.Split(" - ", 2);
            var fields = halves[0].Split(' ');
            // Only a mount of the whole hierarchy (root "/"): our path from /proc/self/cgroup is relative to it.
            if (halves.Length == 2 && halves[1].StartsWith("cgroup2 ", StringComparison.Ordinal) && fields.Length > 4 && fields[3] == "/")
                return Unescape(fields[4]);
        }
        return null;
    }

    private static string? CurrentCgroup() =>
        File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
