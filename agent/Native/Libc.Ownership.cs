using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>File ownership calls (the socket directory and its sockets; see Hosting/SocketPermissions).</summary>
internal static partial class Libc
{
    /// <summary>chown(2) without following a final symlink; -1 for uid or gid leaves it unchanged.</summary>
    [LibraryImport(Lib, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LChown(string path, int uid, int gid);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial int GetEUid();

    [LibraryImport(Lib, EntryPoint = "getegid")]
    public static partial int GetEGid();
}
