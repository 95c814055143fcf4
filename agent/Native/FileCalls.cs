namespace AppSwitch.Agent.Native;

/// <summary>fd-level calls (open, dup, eventfd, pipe) with <see cref="SysResult"/> results.</summary>
internal static unsafe class FileCalls
{
    /// <summary>open(2) read-only and close-on-exec: the fd.</summary>
    public static SysResult OpenReadOnly(string path) => SysResult.FromReturn(Libc.Open(path, O.RDONLY | O.CLOEXEC));

    /// <summary>A close-on-exec duplicate of <paramref name="fd"/> (F_DUPFD_CLOEXEC).</summary>
    public static SysResult Duplicate(int fd) => SysResult.FromReturn(Libc.Fcntl(fd, F.DUPFD_CLOEXEC, 0));

    /// <summary>A non-blocking, close-on-exec eventfd starting at 0.</summary>
    public static SysResult CreateEventFd() => SysResult.FromReturn(Libc.EventFd(0, EFD.CLOEXEC | EFD.NONBLOCK));

    /// <summary>Adds one to an eventfd's counter (wakes whoever polls it).</summary>
    public static SysResult Signal(int eventFd)
    {
        ulong one = 1;
        return SysResult.FromReturn(Libc.Write(eventFd, &one, sizeof(ulong)));
    }

    /// <summary>lchown(2): the owner and group of <paramref name="path"/> itself (a final symlink is not followed).</summary>
    public static SysResult ChangeOwner(string path, int uid, int gid) => SysResult.FromReturn(Libc.LChown(path, uid, gid));

    /// <summary>chmod(2).</summary>
    public static SysResult ChangeMode(string path, uint mode) => SysResult.FromReturn(Libc.Chmod(path, mode));

    /// <summary>The C library's text for an errno ("Permission denied").</summary>
    public static string Describe(Errno error) => new System.ComponentModel.Win32Exception((int)error).Message;

    /// <summary>poll(2): the number of fds with events (0: timed out).</summary>
    public static SysResult Poll(Libc.PollFd* fds, int count, int timeoutMs) => SysResult.FromReturn(Libc.Poll(fds, (ulong)count, timeoutMs));

    /// <summary>mount(2) of a file system with no source device or options (cgroup2).</summary>
    public static SysResult MountFileSystem(string type, string target) => SysResult.FromReturn(Libc.Mount(type, target, type, 0, 0));

    /// <summary>Detaches a mount now (MNT_DETACH): it goes once nothing uses it.</summary>
    public static SysResult Unmount(string target) => SysResult.FromReturn(Libc.Unmount(target, MNT.DETACH));

    /// <summary>A non-blocking, close-on-exec pipe: its read and write ends.</summary>
    public static SysResult CreatePipe(out int readEnd, out int writeEnd)
    {
        var fds = stackalloc int[2];
        var r = SysResult.FromReturn(Libc.Pipe2(fds, O.NONBLOCK | O.CLOEXEC));
        (readEnd, writeEnd) = r.IsError ? (-1, -1) : (fds[0], fds[1]);
        return r;
    }
}
