using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>fd-level calls (open, dup, eventfd, pipe) with <see cref="SysResult"/> results.</summary>
internal static unsafe class FileCalls
{
    /// <summary>open(2) read-only and close-on-exec: the fd.</summary>
    public static SysResult OpenReadOnly(string path)
    {
        fixed (byte* p = CString.Of(path)) return SysResult.FromReturn(LibC.open(p, O.RDONLY | O.CLOEXEC, 0));
    }

    /// <summary>A close-on-exec duplicate of <paramref name="fd"/> (F_DUPFD_CLOEXEC).</summary>
    public static SysResult Duplicate(int fd) => SysResult.FromReturn(LibC.fcntl(fd, F.DUPFD_CLOEXEC, 0));

    /// <summary>A non-blocking, close-on-exec eventfd starting at 0.</summary>
    public static SysResult CreateEventFd() => SysResult.FromReturn(LibC.eventfd(0, EFD.CLOEXEC | EFD.NONBLOCK));

    /// <summary>Adds one to an eventfd's counter (wakes whoever polls it).</summary>
    public static SysResult Signal(int eventFd)
    {
        ulong one = 1;
        return SysResult.FromReturn(LibC.write(eventFd, &one, sizeof(ulong)));
    }

    /// <summary>lchown(2): the owner and group of <paramref name="path"/> itself (a final symlink is not followed).</summary>
    public static SysResult ChangeOwner(string path, int uid, int gid)
    {
        fixed (byte* p = CString.Of(path)) return SysResult.FromReturn(LibC.lchown(p, (uint)uid, (uint)gid));
    }

    /// <summary>chmod(2).</summary>
    public static SysResult ChangeMode(string path, uint mode)
    {
        fixed (byte* p = CString.Of(path)) return SysResult.FromReturn(LibC.chmod(p, checked((ushort)mode)));
    }

    /// <summary>The C library's text for an errno ("Permission denied").</summary>
    public static string Describe(Errno error) => new System.ComponentModel.Win32Exception((int)error).Message;

    /// <summary>poll(2): the number of fds with events (0: timed out).</summary>
    public static SysResult Poll(Libc.PollFd* fds, int count, int timeoutMs) => SysResult.FromReturn(Libc.Poll(fds, (ulong)count, timeoutMs));

    /// <summary>mount(2) of a file system with no source device or options (cgroup2).</summary>
    public static SysResult MountFileSystem(string type, string target)
    {
        fixed (byte* t = CString.Of(type))
        fixed (byte* at = CString.Of(target))
            return SysResult.FromReturn(LibC.mount(t, at, t, 0, null));
    }

    /// <summary>Detaches a mount now (MNT_DETACH): it goes once nothing uses it.</summary>
    public static SysResult Unmount(string target)
    {
        fixed (byte* p = CString.Of(target)) return SysResult.FromReturn(LibC.umount2(p, MNT.DETACH));
    }

    /// <summary>A non-blocking, close-on-exec pipe: its read and write ends.</summary>
    public static SysResult CreatePipe(out int readEnd, out int writeEnd)
    {
        var fds = stackalloc int[2];
        var r = SysResult.FromReturn(LibC.pipe2(fds, O.NONBLOCK | O.CLOEXEC));
        (readEnd, writeEnd) = r.IsError ? (-1, -1) : (fds[0], fds[1]);
        return r;
    }
}
