using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>Zero-copy relaying: socket → pipe → socket with splice(2) (see Relay/SpliceEngine).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);
}
