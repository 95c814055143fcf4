namespace AppSwitch.Agent.Native;

/// <summary>Reaching into a supervised process: its fds (pidfd_getfd) and its memory (process_vm_readv/writev).</summary>
internal static unsafe class ProcessAccess
{
    /// <summary>An fd as /proc/TID/fdinfo shows it: the file's status flags (with O_CLOEXEC for the fd's own flag) and inode.</summary>
    public readonly record struct FdInfo(int Flags, ulong Inode)
    {
        public bool NonBlocking => (Flags & Libc.O_NONBLOCK) != 0;
        public bool CloseOnExec => (Flags & Libc.O_CLOEXEC) != 0;
    }

    private const long PidfdThread = 0x80; // PIDFD_THREAD (O_EXCL): a pidfd for a thread, not only a leader

    /// <summary>Opens a pidfd for the thread or process <paramref name="tid"/>; -errno on failure.</summary>
    public static int OpenPidfd(int tid)
    {
        var fd = (int)Libc.Syscall(SyscallNumbers.PidfdOpen, tid, PidfdThread, 0);
        if (fd >= 0) return fd;
        var error = Libc.Errno;
        if (error != Libc.EINVAL) return -error;
        // Kernels before 6.9 know no PIDFD_THREAD: a plain pidfd for the thread group leader does as well.
        fd = (int)Libc.Syscall(SyscallNumbers.PidfdOpen, ThreadGroupOf(tid), 0, 0);
        return fd >= 0 ? fd : -Libc.Errno;
    }

    /// <summary>Duplicates fd <paramref name="targetFd"/> of the process into the agent; -errno on failure.</summary>
    public static int GetFd(int pidfd, int targetFd)
    {
        var fd = (int)Libc.Syscall(SyscallNumbers.PidfdGetfd, pidfd, targetFd, 0);
        return fd >= 0 ? fd : -Libc.Errno;
    }

    /// <summary>Reads exactly buffer.Length bytes at <paramref name="address"/>; returns 0 or an errno (EFAULT for a bad pointer).</summary>
    public static int ReadMemory(int tid, ulong address, Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        fixed (byte* p = buffer)
        {
            var local = new Libc.IoVec { Base = p, Length = (nuint)buffer.Length };
            var remote = new Libc.IoVec { Base = (void*)address, Length = (nuint)buffer.Length };
            var n = Libc.ProcessVmReadv(tid, &local, 1, &remote, 1, 0);
            if (n < 0) return Libc.Errno;
            return n == buffer.Length ? 0 : Libc.EFAULT;
        }
    }

    /// <summary>Writes the buffer at <paramref name="address"/>; returns 0 or an errno.</summary>
    public static int WriteMemory(int tid, ulong address, ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        fixed (byte* p = buffer)
        {
            var local = new Libc.IoVec { Base = p, Length = (nuint)buffer.Length };
            var remote = new Libc.IoVec { Base = (void*)address, Length = (nuint)buffer.Length };
            var n = Libc.ProcessVmWritev(tid, &local, 1, &remote, 1, 0);
            if (n < 0) return Libc.Errno;
            return n == buffer.Length ? 0 : Libc.EFAULT;
        }
    }

    /// <summary>
    /// Opens /proc/TID/fdinfo/FD; -errno on failure. The kernel formats the file at each read from the thread's
    /// fd table as it is then, so one open file answers for whatever fd FD is later (<see cref="ReadFdInfo"/>).
    /// </summary>
    public static int OpenFdInfo(int tid, int targetFd)
    {
        var fd = Libc.Open($"/proc/{tid}/fdinfo/{targetFd}", Libc.O_RDONLY | Libc.O_CLOEXEC);
        return fd >= 0 ? fd : -Libc.Errno;
    }

    /// <summary>
    /// Reads an fdinfo file from its start: the fd's flags and inode now, or null when it cannot be read
    /// (the thread exited, the fd is closed).
    /// </summary>
    public static FdInfo? ReadFdInfo(int fdinfoFd)
    {
        // Raw pread: this runs on every connect and bind, and a FileStream costs several more syscalls.
        var buffer = stackalloc byte[256];
        var n = (int)Libc.PRead(fdinfoFd, buffer, 256, 0);
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
