using AppSwitch.Agent.Interception;
using AppSwitch.Agent.Native;
using AppSwitch.Tests.Infrastructure;
using Tmds.Linux;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>
/// The handles a session keeps open to an app's threads, used on this test process's own threads and fds: what
/// they read must always be the fd as it is now (flags changed, another file at the same number), and the handles
/// of a thread that exits must be closed.
/// </summary>
public sealed partial class ThreadHandlesTests : IDisposable
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "dup3", SetLastError = true)]
    private static partial int Dup3(int oldFd, int newFd, int flags);

    private const int FGetFd = 1, FSetFd = 2, FdCloexec = 1;
    private readonly ThreadHandles _handles = new();
    private readonly List<int> _fds = [];

    private int NewSocket(int flags = 0)
    {
        var fd = LibC.socket(AF.INET, SOCK.STREAM | flags, 0);
        Assert.True(fd >= 0, $"socket: errno {Libc.LastError}");
        _fds.Add(fd);
        return fd;
    }

    private static int ThisThreadId() =>
        int.Parse(new FileInfo("/proc/thread-self").LinkTarget!.Split('/')[^1]); // "PID/task/TID"

    [Fact]
    public void Fd_info_follows_the_fd_as_it_is_now()
    {
        var tid = ThisThreadId();
        var fd = NewSocket();

        var first = _handles.ReadFdInfo(tid, fd);
        Assert.NotNull(first);
        Assert.False(first.Value.CloseOnExec);
        Assert.False(first.Value.NonBlocking);
        Assert.Equal(SocketCalls.Inode(fd), first.Value.Inode);

        // The same open fdinfo file, read again after the app changed the fd's flags.
        Assert.Equal(0, LibC.fcntl(fd, FSetFd, FdCloexec));
        Assert.False(SocketCalls.SetNonBlocking(fd, true).IsError);
        var changed = _handles.ReadFdInfo(tid, fd);
        Assert.True(changed!.Value.CloseOnExec);
        Assert.True(changed.Value.NonBlocking);

        // Another socket at the same fd number (the next connect of an app that closes and reopens). Put there with
        // dup3, not by closing and hoping socket() reuses the number: other test threads open fds meanwhile.
        var other = NewSocket();
        Assert.Equal(fd, Dup3(other, fd, O.CLOEXEC));
        var again = fd;
        var replaced = _handles.ReadFdInfo(tid, again);
        Assert.Equal(SocketCalls.Inode(again), replaced!.Value.Inode);
        Assert.NotEqual(first.Value.Inode, replaced.Value.Inode);
        Assert.True(replaced.Value.CloseOnExec);
        Assert.False(replaced.Value.NonBlocking);
    }

    [Fact]
    public void A_closed_fd_reads_as_unknown_and_a_borrowed_fd_is_the_same_socket()
    {
        var tid = ThisThreadId();
        var fd = NewSocket();
        var borrowed = _handles.GetFd(tid, fd).Fd;
        _fds.Add(borrowed);
        Assert.Equal(SocketCalls.Inode(fd), SocketCalls.Inode(borrowed));
        Assert.NotNull(_handles.ReadFdInfo(tid, fd));

        Libc.Close(fd);
        _fds.Remove(fd);
        Assert.Null(_handles.ReadFdInfo(tid, fd));
        Assert.Equal(Errno.EBADF, _handles.GetFd(tid, fd).Error);
    }

    [Fact]
    public async Task Handles_of_an_exited_thread_are_closed()
    {
        var fd = NewSocket();
        var tid = 0;
        var worker = new Thread(() =>
        {
            tid = ThisThreadId();
            var borrowed = _handles.GetFd(tid, fd);
            if (!borrowed.IsError) Libc.Close(borrowed.Fd);
            _handles.ReadFdInfo(tid, fd);
        });
        worker.Start();
        worker.Join();
        Assert.False(_handles.IsEmpty);
        Assert.Equal(2, _handles.OpenCount); // its pidfd and fdinfo file

        // The thread has exited: its pidfd polls readable (once the kernel has reaped it).
        await Eventually.UntilAsync(() => { _handles.DropExited(); return _handles.IsEmpty; }, TimeSpan.FromSeconds(5),
            $"the handles of exited thread {tid} to be closed");
        Assert.Equal(0, _handles.OpenCount);

        // This (live) thread's handles survive a sweep.
        var kept = _handles.GetFd(ThisThreadId(), fd).Fd;
        _fds.Add(kept);
        _handles.DropExited();
        Assert.False(_handles.IsEmpty);
    }

    [Fact]
    public void Many_threads_keep_a_bounded_number_of_handles()
    {
        var fd = NewSocket();
        var live = new List<(Thread Thread, ManualResetEventSlim Release)>();
        try
        {
            for (var i = 0; i < ThreadHandles.MaxThreads * 3; i++)
            {
                var release = new ManualResetEventSlim();
                var started = new ManualResetEventSlim();
                var tid = 0;
                var thread = new Thread(() => { tid = ThisThreadId(); started.Set(); release.Wait(); });
                thread.Start();
                started.Wait();
                live.Add((thread, release));
                Libc.Close(_handles.GetFd(tid, fd).Fd);
                Assert.NotNull(_handles.ReadFdInfo(tid, fd));
                Assert.True(_handles.OpenCount <= 2 * ThreadHandles.MaxThreads, $"{_handles.OpenCount} handles open after {i + 1} threads");
            }
        }
        finally
        {
            foreach (var (thread, release) in live) { release.Set(); thread.Join(); }
        }
    }

    public void Dispose()
    {
        _handles.Dispose();
        foreach (var fd in _fds) Libc.Close(fd);
    }
}
