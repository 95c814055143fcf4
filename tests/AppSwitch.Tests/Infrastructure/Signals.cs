using System.Runtime.InteropServices;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>The little of libc the tests need to stop the processes they start.</summary>
public static partial class Signals
{
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends a signal; false when the process is already gone.</summary>
    public static bool Send(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    public static bool IsAlive(int pid) => pid > 0 && Kill(pid, 0) == 0;

    /// <summary>All descendants of a process (children, grandchildren, …), from /proc.</summary>
    public static List<int> Descendants(int pid)
    {
        var parentOf = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var p)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // pid (comm) state ppid …; comm may contain spaces and parentheses.
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parentOf[p] = int.Parse(rest[1]);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        var result = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var (child, ppid) in parentOf)
                if (ppid == parent && !result.Contains(child))
                {
                    result.Add(child);
                    frontier.Enqueue(child);
                }
        }
        return result;
    }
}
