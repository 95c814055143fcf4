using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// One trapped system call being handled: its arguments, access to the caller's memory and fds, and the
/// answer. Exactly one of Continue/Fail/Succeed (or handing it to a pending operation) ends it.
/// </summary>
internal sealed class SyscallContext : IDisposable
{
    private readonly int _listener;
    private readonly Seccomp.Notification _notification;
    private readonly List<int> _borrowedFds = [];

    public SyscallContext(AppSession session, int listener, in Seccomp.Notification notification)
    {
        Session = session;
        _listener = listener;
        _notification = notification;
    }

    public AppSession Session { get; }
    /// <summary>The call as the kernel handed it out (journaled while it is being handled).</summary>
    public ref readonly Seccomp.Notification Notification => ref _notification;
    /// <summary>
    /// True for a call a previous agent received but did not answer: part of it may already be done
    /// (a socket swapped in), so handlers accept that state as success.
    /// </summary>
    public bool Recovering { get; init; }
    public int Listener => _listener;
    public ulong Id => _notification.Id;
    /// <summary>The calling thread's id (in the agent's pid namespace).</summary>
    public int Tid => (int)_notification.Pid;
    public int Nr => _notification.Nr;

    public unsafe ulong Arg(int index)
    {
        fixed (ulong* args = _notification.Args) return args[index];
    }

    public int FdArg(int index) => (int)Arg(index);

    /// <summary>Reads the caller's memory, then checks the call is still live (the pid cannot have been reused).</summary>
    public int ReadMemory(ulong address, Span<byte> buffer)
    {
        var rc = ProcessAccess.ReadMemory(Tid, address, buffer);
        if (rc != 0) return rc;
        return IsValid() ? 0 : Libc.ESRCH;
    }

    public int WriteMemory(ulong address, ReadOnlySpan<byte> buffer) => ProcessAccess.WriteMemory(Tid, address, buffer);

    public bool IsValid() => Seccomp.IsValid(_listener, Id);

    /// <summary>A duplicate of the caller's fd, owned by this context (closed with it); -errno on failure.</summary>
    public int BorrowFd(int targetFd)
    {
        var fd = Session.Handles.GetFd(Tid, targetFd);
        if (fd >= 0) _borrowedFds.Add(fd);
        return fd;
    }

    /// <summary>
    /// The caller's fd <paramref name="targetFd"/> as its process sees it: status flags with close-on-exec, and
    /// inode (one read of the session's open fdinfo file). Should /proc not show the caller, the flags and
    /// inode come from <paramref name="borrowed"/>, our duplicate of it, and close-on-exec reads as unset.
    /// </summary>
    public ProcessAccess.FdInfo DescribeFd(int targetFd, int borrowed) =>
        Session.Handles.ReadFdInfo(Tid, targetFd)
        ?? new ProcessAccess.FdInfo(SocketCalls.GetStatusFlags(borrowed) & ~Libc.O_CLOEXEC, SocketCalls.Inode(borrowed));

    public void Continue() => Seccomp.Continue(_listener, Id);

    public void Fail(int errno) => Seccomp.Respond(_listener, Id, 0, errno);

    public void Succeed(long value = 0) => Seccomp.Respond(_listener, Id, value, 0);

    /// <summary>Puts our socket into the caller at its fd number; 0 or errno (ENOENT: the call was interrupted).</summary>
    public int Install(int sourceFd, int targetFd, bool closeOnExec) =>
        Seccomp.InstallFd(_listener, Id, sourceFd, targetFd, closeOnExec);

    public void Dispose()
    {
        foreach (var fd in _borrowedFds) Libc.Close(fd);
        _borrowedFds.Clear();
    }
}
