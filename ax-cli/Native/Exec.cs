using System.Runtime.InteropServices;

namespace AppSwitch.Cli.Native;

/// <summary>
/// execv(2): replaces this process with another program. `ax daemon` uses it so that the agent gets our pid,
/// our stdio and every signal sent to us, with no forwarding process in between.
/// </summary>
internal static unsafe partial class Exec
{
    /// <summary>Returns only when execv failed: the errno text.</summary>
    public static string Replace(string path, IReadOnlyList<string> argv)
    {
        var pointers = new nint[argv.Count + 1];
        try
        {
            for (var i = 0; i < argv.Count; i++) pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            fixed (nint* args = pointers)
            {
                execv(path, args);
            }
            return Marshal.GetLastPInvokeErrorMessage();
        }
        finally
        {
            foreach (var p in pointers) Marshal.FreeCoTaskMem(p);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execv(string path, nint* argv);
}
