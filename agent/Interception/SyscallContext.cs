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
    public SysResult ReadMemory(ulong address, Span<byte> buffer)
    {
        var read = ProcessAccess.ReadMemory(Tid, address, buffer);
        if (read.IsError) return read;
        return IsValid() ? SysResult.Success : Errno.ESRCH;
    }

    public SysResult WriteMemory(ulong address, ReadOnlySpan<byte> buffer) => ProcessAccess.WriteMemory(Tid, address, buffer);

    public bool IsValid() => Seccomp.IsValid(_listener, Id);

    /// <summary>A duplicate of the caller's fd, owned by this context (closed with it): its fd number.</summary>
    public SysResult BorrowFd(int targetFd)
    {
        var fd = Session.Handles.GetFd(Tid, targetFd);
        if (!fd.IsError) _borrowedFds.Add(fd.Fd);
        return fd;
    }

    /// <summary>Borrows the caller's fd (see <see cref="BorrowFd"/>); false, the call answered with the errno, when it cannot.</summary>
    public bool TryBorrowFd(int targetFd, out int borrowed)
    {
        var fd = BorrowFd(targetFd);
        borrowed = fd.IsError ? -1 : fd.Fd;
        if (fd.IsError) Fail(fd.Error);
        return !fd.IsError;
    }

    /// <summary>
    /// The caller's fd <paramref name="targetFd"/> as its process sees it: status flags with close-on-exec, and
    /// inode (one read of the session's open fdinfo file). Should /proc not show the caller, the flags and
    /// inode come from <paramref name="borrowed"/>, our duplicate of it, and close-on-exec reads as unset.
    /// </summary>
    public ProcessAccess.FdInfo DescribeFd(int targetFd, int borrowed) =>
        Session.Handles.ReadFdInfo(Tid, targetFd)
        ?? new ProcessAccess.FdInfo(StatusFlagsOf(borrowed) & ~O.CLOEXEC, SocketCalls.Inode(borrowed));

    private static int StatusFlagsOf(int fd) => SocketCalls.GetStatusFlags(fd) is { IsError: false } flags ? (int)flags.Value : 0;

    /// <summary>How the call was answered, as a label of appswitch_trapped_calls_total; null while it is not (yet).</summary>
    public string? Outcome { get; private set; }

    public void Continue()
    {
        Outcome = TrappedCallLabels.Continued;
        Seccomp.Continue(_listener, Id);
    }

    /// <summary>Answers the call with -<paramref name="errno"/>.</summary>
    public void Fail(Errno errno)
    {
        Outcome = TrappedCallLabels.Failure(errno);
        Seccomp.Fail(_listener, Id, errno);
    }

    public void Succeed(long value = 0)
    {
        Outcome = TrappedCallLabels.Ok;
        Seccomp.Succeed(_listener, Id, value);
    }

    /// <summary>Answers with the outcome of the call the agent made in the caller's stead: its value or its errno.</summary>
    public void Answer(SysResult outcome)
    {
        if (outcome.IsError) Fail(outcome.Error); else Succeed();
    }

    /// <summary>Puts a copy of our socket into the caller at its fd number (ENOENT: the call was interrupted).</summary>
    public SysResult Install(int sourceFd, int targetFd, bool closeOnExec) =>
        Seccomp.InstallFd(_listener, Id, sourceFd, targetFd, closeOnExec);

    public void Dispose()
    {
        foreach (var fd in _borrowedFds) Libc.Close(fd);
        _borrowedFds.Clear();
    }
}
