using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// What a test needs to act as a (misbehaving) launcher: send fds with SCM_RIGHTS on a connected Unix socket,
/// make pipes, and see when every copy of a pipe's write end is closed (the reader gets POLLHUP).
/// </summary>
public static unsafe partial class UnixFdPassing
{
    private const int SolSocket = 1, ScmRights = 1, CmsgHeader = 16;
    private const short PollIn = 1, PollHup = 16;
    private const int OCloexec = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec { public void* Base; public nuint Length; }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd { public int Fd; public short Events; public short REvents; }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseFd(int fd);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    /// <summary>Sends <paramref name="data"/> (at least one byte) with <paramref name="fds"/> attached in one SCM_RIGHTS message.</summary>
    public static void Send(Socket socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        if (data.Length == 0) throw new ArgumentException("fds travel with at least one byte", nameof(data));
        var payload = 4 * fds.Length;
        var space = CmsgHeader + ((payload + 7) & ~7);
        var control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        *(nuint*)control = (nuint)(CmsgHeader + payload);
        *(int*)(control + 8) = SolSocket;
        *(int*)(control + 12) = ScmRights;
        for (var i = 0; i < fds.Length; i++) *(int*)(control + CmsgHeader + 4 * i) = fds[i];
        fixed (byte* p = data)
        {
            var iov = new IoVec { Base = p, Length = (nuint)data.Length };
            var msg = new MsgHdr
            {
                Iov = &iov, IovLength = 1,
                Control = fds.Length > 0 ? control : null, ControlLength = fds.Length > 0 ? (nuint)space : 0,
            };
            var n = SendMsg((int)socket.Handle, &msg, 0);
            if (n != data.Length)
                throw new IOException($"sendmsg sent {n} of {data.Length} bytes (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>A new pipe (close-on-exec): (read end, write end).</summary>
    public static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (Pipe2(fds, OCloexec) != 0) throw new IOException($"pipe2 failed (errno {Marshal.GetLastPInvokeError()})");
        return (fds[0], fds[1]);
    }

    public static void Close(int fd) => CloseFd(fd);

    /// <summary>True when no write end of the pipe is open anywhere any more (the read end reports a hang-up).</summary>
    public static bool WritersGone(int readFd)
    {
        var p = new PollFd { Fd = readFd, Events = PollIn };
        return Poll(&p, 1, 0) > 0 && (p.REvents & PollHup) != 0;
    }
}
