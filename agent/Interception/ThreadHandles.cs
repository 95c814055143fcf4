using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// The handles a session keeps open to reach its application's threads: a pidfd per thread (for pidfd_getfd)
/// and an fdinfo file per thread and fd number (flags, close-on-exec, inode). Opening either costs more than
/// the rest of a trapped call's own work (a pidfs or proc inode made and torn down each time, ~6 µs apiece
/// per connect measured); using an open one is a single syscall. A handle that outlives its thread fails
/// with ESRCH/ENOENT (even when the thread id has been reused: a handle names the thread, not the number)
/// and is opened anew; <see cref="DropExited"/> closes those of exited threads, whose pidfds the session polls
/// beside its listener (<see cref="PollFds"/>). Session thread only.
/// </summary>
internal sealed unsafe class ThreadHandles : IDisposable
{
    /// <summary>Threads, and fd numbers per thread, kept at most (then all are dropped): bounds the agent's fds per app.</summary>
    public const int MaxThreads = 16, MaxFdsPerThread = 4;

    private sealed class ThreadEntry
    {
        public int Pidfd = -1;
        public readonly Dictionary<int, int> FdInfos = [];
    }

    private readonly Dictionary<int, ThreadEntry> _threads = [];

    public bool IsEmpty => _threads.Count == 0;

    /// <summary>The fds these handles hold open now.</summary>
    public int OpenCount => _threads.Values.Sum(t => (t.Pidfd >= 0 ? 1 : 0) + t.FdInfos.Count);

    /// <summary>A duplicate of fd <paramref name="targetFd"/> of thread <paramref name="tid"/> (the caller owns it).</summary>
    public SysResult GetFd(int tid, int targetFd)
    {
        if (_threads.TryGetValue(tid, out var known) && known.Pidfd >= 0)
        {
            var fd = ProcessAccess.GetFd(known.Pidfd, targetFd);
            if (fd.Error != Errno.ESRCH) return fd;
            Forget(tid); // an earlier thread of that number
        }
        var pidfd = ProcessAccess.OpenPidfd(tid);
        if (pidfd.IsError) return pidfd;
        Entry(tid).Pidfd = pidfd.Fd;
        return ProcessAccess.GetFd(pidfd.Fd, targetFd);
    }

    /// <summary>What /proc/TID/fdinfo says of fd <paramref name="targetFd"/> of thread <paramref name="tid"/> now; null when unreadable.</summary>
    public ProcessAccess.FdInfo? ReadFdInfo(int tid, int targetFd)
    {
        var thread = Entry(tid);
        if (thread.FdInfos.TryGetValue(targetFd, out var fdInfo))
        {
            if (ProcessAccess.ReadFdInfo(fdInfo) is { } known) return known;
            Libc.Close(fdInfo);
            thread.FdInfos.Remove(targetFd);
        }
        var opened = ProcessAccess.OpenFdInfo(tid, targetFd);
        if (opened.IsError) return null;
        fdInfo = opened.Fd;
        if (thread.FdInfos.Count >= MaxFdsPerThread) CloseFdInfos(thread);
        thread.FdInfos[targetFd] = fdInfo;
        return ProcessAccess.ReadFdInfo(fdInfo);
    }

    /// <summary>
    /// Puts the pidfds held (at most <see cref="MaxThreads"/>) into <paramref name="fds"/>, for the poll that waits
    /// for the app's calls: one turns readable when its thread exits. (A poll timeout instead would cost every
    /// trapped call ~1 µs of timer set-up, measured.)
    /// </summary>
    public int PollFds(Span<Libc.PollFd> fds)
    {
        var n = 0;
        foreach (var thread in _threads.Values)
            if (thread.Pidfd >= 0 && n < fds.Length) fds[n++] = new Libc.PollFd { Fd = thread.Pidfd, Events = POLL.IN };
        return n;
    }

    /// <summary>Closes the handles of threads that have exited (their pidfd polls readable), in one poll.</summary>
    public void DropExited()
    {
        if (_threads.Count == 0) return;
        var tids = new int[_threads.Count];
        var polls = stackalloc Libc.PollFd[_threads.Count];
        var n = 0;
        foreach (var (tid, thread) in _threads)
        {
            tids[n] = tid;
            polls[n++] = new Libc.PollFd { Fd = thread.Pidfd, Events = POLL.IN }; // fd -1: ignored, revents 0
        }
        if (FileCalls.Poll(polls, n, 0).IsError) return;
        for (var i = 0; i < n; i++)
            if (polls[i].Fd < 0 || polls[i].REvents != 0) Forget(tids[i]);
    }

    private ThreadEntry Entry(int tid)
    {
        if (_threads.TryGetValue(tid, out var thread)) return thread;
        if (_threads.Count >= MaxThreads) Dispose();
        return _threads[tid] = new ThreadEntry();
    }

    private void Forget(int tid)
    {
        if (!_threads.Remove(tid, out var thread)) return;
        if (thread.Pidfd >= 0) Libc.Close(thread.Pidfd);
        CloseFdInfos(thread);
    }

    private static void CloseFdInfos(ThreadEntry thread)
    {
        foreach (var fd in thread.FdInfos.Values) Libc.Close(fd);
        thread.FdInfos.Clear();
    }

    public void Dispose()
    {
        foreach (var tid in _threads.Keys.ToArray()) Forget(tid);
    }
}
