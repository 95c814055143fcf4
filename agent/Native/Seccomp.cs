using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>The seccomp user-notification ioctls on a listener fd (see seccomp_unotify(2)).</summary>
internal static unsafe class Seccomp
{
    /// <summary>SECCOMP_IOCTL_NOTIF_* of linux/seccomp.h, built from the sizes of the structs below.</summary>
    internal static class Ioctls
    {
        private const char Magic = '!'; // SECCOMP_IOC_MAGIC
        public static readonly ulong Recv = Ioctl.InOut(Magic, 0, sizeof(Notification));
        public static readonly ulong Send = Ioctl.InOut(Magic, 1, sizeof(Response));
        public static readonly ulong IdValid = Ioctl.In(Magic, 2, sizeof(ulong));
        public static readonly ulong AddFd = Ioctl.In(Magic, 3, sizeof(AddFdRequest));
        public static readonly ulong SetFlags = Ioctl.In(Magic, 4, sizeof(ulong));
    }

    private const ulong FdSyncWakeUp = 1; // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
    private const uint FlagContinue = 1; // SECCOMP_USER_NOTIF_FLAG_CONTINUE
    private const uint AddFdFlagSetFd = 1; // SECCOMP_ADDFD_FLAG_SETFD
    private const long SeccompGetNotifSizes = 3; // SECCOMP_GET_NOTIF_SIZES

    /// <summary>struct seccomp_notif (80 bytes) with struct seccomp_data inline.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Notification
    {
        public ulong Id;
        public uint Pid;
        public uint Flags;
        public int Nr;
        public uint Arch;
        public ulong InstructionPointer;
        public fixed ulong Args[6];
    }

    /// <summary>struct seccomp_notif_resp (24 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Response
    {
        public ulong Id;
        public long Val;
        public int Error;
        public uint Flags;
    }

    /// <summary>struct seccomp_notif_addfd (24 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct AddFdRequest
    {
        public ulong Id;
        public uint Flags;
        public uint SrcFd;
        public uint NewFd;
        public uint NewFdFlags;
    }

    /// <summary>struct seccomp_notif_sizes: the sizes the running kernel uses for the three structs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Sizes
    {
        public ushort Notification;
        public ushort Response;
        public ushort Data;
    }

    /// <summary>What the running kernel says its structs measure (seccomp(SECCOMP_GET_NOTIF_SIZES)).</summary>
    public static SysResult GetKernelSizes(out Sizes sizes)
    {
        Sizes s = default;
        var r = SysResult.FromReturn(Libc.Syscall(SyscallNumbers.Seccomp, SeccompGetNotifSizes, 0, (long)&s));
        sizes = s;
        return r;
    }

    /// <summary>
    /// Asks the kernel to wake the supervisor and the caller on the CPU that is already running (Linux 6.6+):
    /// a trapped call then costs two context switches instead of two cross-CPU wake-ups. Best effort.
    /// </summary>
    public static SysResult TrySetSyncWakeUp(int listener) =>
        // Unlike the other ioctls, this one takes the flags as the argument itself, not through a pointer.
        SysResult.FromReturn(Libc.Ioctl(listener, Ioctls.SetFlags, (void*)FdSyncWakeUp));

    /// <summary>Receives one notification (ENOENT: the caller died meanwhile).</summary>
    public static SysResult Receive(int listener, out Notification notification)
    {
        notification = default;
        fixed (Notification* p = &notification)
            return SysResult.FromReturn(Libc.Ioctl(listener, Ioctls.Recv, p));
    }

    /// <summary>True while the notification's caller is still waiting (checked after every read of its memory).</summary>
    public static bool IsValid(int listener, ulong id) => Libc.Ioctl(listener, Ioctls.IdValid, &id) == 0;

    /// <summary>Answers the call with a return value.</summary>
    public static SysResult Succeed(int listener, ulong id, long value) => Send(listener, new Response { Id = id, Val = value });

    /// <summary>Answers the call with -<paramref name="error"/> (the caller sees it in errno).</summary>
    public static SysResult Fail(int listener, ulong id, Errno error)
    {
        // Errno.None would answer success: a caller that means that says Succeed.
        if (error == Errno.None) throw new ArgumentException("a failure needs an errno", nameof(error));
        return Send(listener, new Response { Id = id, Error = -(int)error });
    }

    /// <summary>Answers with the outcome of a call the agent made for the caller: its error, or success (0).</summary>
    public static SysResult Answer(int listener, ulong id, Errno outcome) =>
        outcome == Errno.None ? Succeed(listener, id, 0) : Fail(listener, id, outcome);

    /// <summary>Lets the kernel run the call as the application made it.</summary>
    public static SysResult Continue(int listener, ulong id) => Send(listener, new Response { Id = id, Flags = FlagContinue });

    /// <summary>Puts our fd into the caller at fd number <paramref name="targetFd"/>, replacing what was there (a copy: ours stays ours).</summary>
    // Not ADDFD|SECCOMP_ADDFD_FLAG_SEND (install and answer in one ioctl, ~4 µs less): connect() would return the fd
    // number instead of 0 (NOTES, "Data-path benchmark and the connect path's cost").
    public static SysResult InstallFd(int listener, ulong id, int sourceFd, int targetFd, bool closeOnExec)
    {
        var a = new AddFdRequest
        {
            Id = id, Flags = AddFdFlagSetFd, SrcFd = (uint)sourceFd, NewFd = (uint)targetFd,
            NewFdFlags = closeOnExec ? (uint)O.CLOEXEC : 0,
        };
        return SysResult.FromReturn(Libc.Ioctl(listener, Ioctls.AddFd, &a));
    }

    private static SysResult Send(int listener, Response response) => SysResult.FromReturn(Libc.Ioctl(listener, Ioctls.Send, &response));
}
