using System.Runtime.InteropServices;
using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>
/// The agent's own libc bindings: only what Tmds.LibC (used as <c>LibC</c> from this folder) lacks or binds in a
/// way the agent cannot use, plus the few calls code outside this folder makes. Functions return what libc
/// returns; <see cref="SysResult.FromReturn"/> turns that and the errno into one result, and the other classes of
/// this folder return only SysResult, Errno or OwnedFd.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    /// <summary>
    /// The errno of the last call made with SetLastError, ours or Tmds.LibC's (it binds with SetLastError too, and
    /// its own <c>LibC.errno</c> reads the same slot). Read it right after the call, before any other.
    /// </summary>
    public static Errno LastError => (Errno)Marshal.GetLastPInvokeError();

    // Used outside this folder (callers unchanged when Tmds.LibC came in): plain forwards.
    public static int Close(int fd) => LibC.close(fd);

    public static int GetEUid() => (int)(uint)LibC.geteuid();

    public static int GetEGid() => (int)(uint)LibC.getegid();

    public static int Unlink(string path)
    {
        fixed (byte* p = CString.Of(path)) return LibC.unlink(p);
    }

    // What Tmds.LibC lacks or binds unusably for us:

    /// <summary>
    /// syscall(2) for pidfd_open, pidfd_getfd, kcmp, seccomp and bpf: Tmds.LibC has no numbers for them, and its
    /// <c>syscall_arg</c> takes no <c>long</c> (every argument here would need a cast through ssize_t).
    /// </summary>
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a1, long a2, long a3);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall6(long number, long a1, long a2, long a3, long a4, long a5);

    /// <summary>ioctl(2) with the request as the kernel takes it: Tmds.LibC's takes an int, and the seccomp
    /// notification requests (0xC0502100 …) do not fit one.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, void* arg);

    /// <summary>Not in Tmds.LibC.</summary>
    [LibraryImport(Lib, EntryPoint = "process_vm_readv", SetLastError = true)]
    public static partial nint ProcessVmReadv(int pid, iovec* local, ulong localCount, iovec* remote, ulong remoteCount, ulong flags);

    /// <summary>Not in Tmds.LibC.</summary>
    [LibraryImport(Lib, EntryPoint = "process_vm_writev", SetLastError = true)]
    public static partial nint ProcessVmWritev(int pid, iovec* local, ulong localCount, iovec* remote, ulong remoteCount, ulong flags);

    /// <summary>Tmds.LibC binds poll without SetLastError: a failed poll's errno (EINTR) would be lost.</summary>
    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, ulong count, int timeoutMs);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    /// <summary>SO_PEERCRED's struct ucred with plain fields (Tmds.LibC's wraps each in pid_t/uid_t/gid_t).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }
}
