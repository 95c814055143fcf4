using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>Reaching into a supervised process: its fds (pidfd_getfd) and its memory (process_vm_readv/writev).</summary>
internal static unsafe class ProcessAccess
{
    /// <summary>An fd as /proc/TID/fdinfo shows it: the file's status flags (with O_CLOEXEC for the fd's own flag) and inode.</summary>
    public readonly record struct FdInfo(int Flags, ulong Inode)
    {
        public bool NonBlocking => (Flags & O.NONBLOCK) != 0;
        public bool CloseOnExec => (Flags & O.CLOEXEC) != 0;
    }

    private const long PidfdThread = 0x80; // PIDFD_THREAD (O_EXCL): a pidfd for a thread, not only a leader

    /// <summary>Opens a pidfd for the thread or process <paramref name="tid"/>.</summary>
    public static SysResult OpenPidfd(int tid)
    {
        var r = SysResult.FromReturn(Libc.Syscall(SyscallNumbers.PidfdOpen, tid, PidfdThread, 0));
        if (r.Error != Errno.EINVAL) return r;
        // Kernels before 6.9 know no PIDFD_THREAD: a plain pidfd for the thread group leader does as well.
        return OpenProcessPidfd(ThreadGroupOf(tid));
    }

    /// <summary>Opens a pidfd for the process <paramref name="pid"/> (a thread group leader).</summary>
    public static SysResult OpenProcessPidfd(int pid) => SysResult.FromReturn(Libc.Syscall(SyscallNumbers.PidfdOpen, pid, 0, 0));

    /// <summary>Duplicates fd <paramref name="targetFd"/> of the process into the agent: the new fd.</summary>
    public static SysResult GetFd(int pidfd, int targetFd) =>
        SysResult.FromReturn(Libc.Syscall(SyscallNumbers.PidfdGetfd, pidfd, targetFd, 0));

    /// <summary>Reads exactly buffer.Length bytes at <paramref name="address"/> (EFAULT for a bad pointer).</summary>
    public static SysResult ReadMemory(int tid, ulong address, Span<byte> buffer)
    {
        if (buffer.Length == 0) return SysResult.Success;
        fixed (byte* p = buffer)
        {
            var local = new iovec { iov_base = p, iov_len = buffer.Length };
            var remote = new iovec { iov_base = (void*)address, iov_len = buffer.Length };
            return Whole(SysResult.FromReturn(Libc.ProcessVmReadv(tid, &local, 1, &remote, 1, 0)), buffer.Length);
        }
    }

    /// <summary>Writes the buffer at <paramref name="address"/>.</summary>
    public static SysResult WriteMemory(int tid, ulong address, ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length == 0) return SysResult.Success;
        fixed (byte* p = buffer)
        {
            var local = new iovec { iov_base = p, iov_len = buffer.Length };
            var remote = new iovec { iov_base = (void*)address, iov_len = buffer.Length };
            return Whole(SysResult.FromReturn(Libc.ProcessVmWritev(tid, &local, 1, &remote, 1, 0)), buffer.Length);
        }
    }

    /// <summary>Success only when all <paramref name="length"/> bytes moved: a short copy crossed into unmapped memory.</summary>
    private static SysResult Whole(SysResult moved, int length) =>
        moved.IsError ? moved : moved.Value == length ? SysResult.Success : Errno.EFAULT;

    /// <summary>
    /// Opens /proc/TID/fdinfo/FD. The kernel formats the file at each read from the thread's
    /// fd table as it is then, so one open file answers for whatever fd FD is later (<see cref="ReadFdInfo"/>).
    /// </summary>
    public static SysResult OpenFdInfo(int tid, int targetFd) => FileCalls.OpenReadOnly($"/proc/{tid}/fdinfo/{targetFd}");

    /// <summary>
    /// Reads an fdinfo file from its start: the fd's flags and inode now, or null when it cannot be read
    /// (the thread exited, the fd is closed).
    /// </summary>
    public static FdInfo? ReadFdInfo(int fdinfoFd)
    {
        // Raw pread: this runs on every connect and bind, and a FileStream costs several more syscalls.
        var buffer = stackalloc byte[256];
        var n = (int)LibC.pread(fdinfoFd, buffer, 256, 0);
        if (n <= 0) return null;
        var text = new ReadOnlySpan<byte>(buffer, n);
        if (!TryReadField(text, "\nflags:"u8, 8, out var flags) || !TryReadField(text, "\nino:"u8, 10, out var inode)) return null;
        return new FdInfo((int)flags, inode);
    }

    /// <summary>The number after <paramref name="name"/> (and blanks) in base 8 or 10.</summary>
    private static bool TryReadField(ReadOnlySpan<byte> text, ReadOnlySpan<byte> name, int radix, out ulong value)
    {
        value = 0;
        var at = text.IndexOf(name);
        if (at < 0) return false;
        var rest = text[(at + name.Length)..].TrimStart(" \t"u8);
        var digits = 0;
        foreach (var c in rest)
        {
            if (c < '0' || c >= '0' + radix) break;
            value = value * (ulong)radix + (ulong)(c - '0');
            digits++;
        }
        return digits > 0;
    }

    /// <summary>Whether two of the agent's fds refer to the same open file (kcmp KCMP_FILE).</summary>
    public static bool SameFile(int fdA, int fdB)
    {
        var self = Environment.ProcessId;
        return Libc.Syscall6(SyscallNumbers.Kcmp, self, self, KcmpFile, fdA, fdB) == 0;
    }

    private const long KcmpFile = 0;

    /// <summary>
    /// The pid a pidfd of the agent names, from its fdinfo: -1 once the process has exited (its pid may then be
    /// reused), 0 when it is outside the agent's pid namespace, null when the fd is no pidfd.
    /// </summary>
    public static int? PidOfPidfd(int pidfd) => ReadNumberField($"/proc/self/fdinfo/{pidfd}", "Pid:");

    /// <summary>The thread group (process) id of a thread, from /proc/TID/status; the tid itself when unknown.</summary>
    public static int ThreadGroupOf(int tid) => ReadNumberField($"/proc/{tid}/status", "Tgid:") ?? tid;

    /// <summary>The number after a `Name:` line's name in a proc file; null when the file or the line is missing.</summary>
    private static int? ReadNumberField(string path, string name)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
                if (line.StartsWith(name, StringComparison.Ordinal))
                    return int.Parse(line.AsSpan(name.Length).Trim());
        }
        catch (IOException) { }
        return null;
    }
}
