using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>Mounting (the socket lock mounts cgroup2 for a moment where the agent's mount namespace has none).</summary>
internal static partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string fileSystemType, ulong flags, nint data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unmount(string target, int flags);
}
