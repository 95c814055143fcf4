namespace AppSwitch.Agent.Native;

/// <summary>
/// What tells a process apart from a later one that got its pid, and whether it holds a given open file: used to
/// trust a pid a launcher named (the keeper) only while it is that process and holds the app's listener.
/// </summary>
internal static class ProcessIdentity
{
    /// <summary>The process's start time in clock ticks since boot (/proc/PID/stat field 22); null when it is gone.</summary>
    public static ulong? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
        var rest = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int startTimeAfterName = 22 - 3; // fields 3.. follow the name; field 22 is starttime
        return rest.Length > startTimeAfterName && ulong.TryParse(rest[startTimeAfterName], out var ticks) ? ticks : null;
    }

    /// <summary>Whether fd <paramref name="fdInProcess"/> of process <paramref name="pid"/> is the same open file as the
    /// agent's <paramref name="ownFd"/> (kcmp KCMP_FILE: compared in the kernel, no copy of the other fd is made).</summary>
    public static bool HoldsSameFile(int pid, int fdInProcess, int ownFd) =>
        pid > 0 && fdInProcess >= 0 && Libc.Syscall6(SyscallNumbers.Kcmp, Environment.ProcessId, pid, KcmpFile, ownFd, fdInProcess) == 0;

    private const long KcmpFile = 0;
}
