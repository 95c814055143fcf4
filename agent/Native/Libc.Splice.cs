using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>Zero-copy relaying: socket → pipe → socket with splice(2) (see Relay/SpliceEngine).</summary>
internal static unsafe partial class Libc
{
    public const uint SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;
    public const int SHUT_WR = 1;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLRDHUP = 0x2000, EPOLLET = 1u << 31;
    public const int F_SETPIPE_SZ = 1031;
    public const int EPIPE = 32, ECONNRESET = 104;

    [LibraryImport(Lib, EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);
}
