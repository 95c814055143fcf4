using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>The seccomp user-notification ioctls on a listener fd (see seccomp_unotify(2)).</summary>
internal static unsafe class Seccomp
{
    private const ulong IoctlRecv = 0xC0502100, IoctlSend = 0xC0182101, IoctlIdValid = 0x40082102, IoctlAddFd = 0x40182103,
        IoctlSetFlags = 0x40082104;
    private const ulong FdSyncWakeUp = 1;
    private const uint FlagContinue = 1;
    private const uint AddFdFlagSetFd = 1;

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

    [StructLayout(LayoutKind.Sequential)]
    private struct Response
    {
        public ulong Id;
        public long Val;
        public int Error;
        public uint Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct AddFd
    {
        public ulong Id;
        public uint Flags;
        public uint SrcFd;
        public uint NewFd;
        public uint NewFdFlags;
    }

    /// <summary>
    /// Asks the kernel to wake the supervisor and the caller on the CPU that is already running (Linux 6.6+):
    /// a trapped call then costs two context switches instead of two cross-CPU wake-ups. Best effort.
    /// </summary>
    public static bool TrySetSyncWakeUp(int listener)
    {
        // Unlike the other ioctls, this one takes the flags as the argument itself, not through a pointer.
        return Libc.Ioctl(listener, IoctlSetFlags, (void*)FdSyncWakeUp) == 0;
    }

    /// <summary>Receives one notification; returns 0 or an errno (ENOENT: the caller died meanwhile).</summary>
    public static int Receive(int listener, out Notification notification)
    {
        notification = default;
        fixed (Notification* p = &notification)
            return Libc.Ioctl(listener, IoctlRecv, p) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>True while the notification's caller is still waiting (checked after every read of its memory).</summary>
    public static bool IsValid(int listener, ulong id) => Libc.Ioctl(listener, IoctlIdValid, &id) == 0;

    /// <summary>Answers the call with a return value, or with -errno when errno &gt; 0.</summary>
    public static int Respond(int listener, ulong id, long value, int errno)
    {
        var r = new Response { Id = id, Val = errno == 0 ? value : 0, Error = errno == 0 ? 0 : -errno };
        return Libc.Ioctl(listener, IoctlSend, &r) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>Lets the kernel run the call as the application made it.</summary>
    public static int Continue(int listener, ulong id)
    {
        var r = new Response { Id = id, Flags = FlagContinue };
        return Libc.Ioctl(listener, IoctlSend, &r) == 0 ? 0 : Libc.Errno;
    }

    /// <summary>Puts our fd into the caller at fd number <paramref name="targetFd"/>, replacing what was there.</summary>
    public static int InstallFd(int listener, ulong id, int sourceFd, int targetFd, bool closeOnExec)
    {
        var a = new AddFd
        {
            Id = id, Flags = AddFdFlagSetFd, SrcFd = (uint)sourceFd, NewFd = (uint)targetFd,
            NewFdFlags = closeOnExec ? (uint)Libc.O_CLOEXEC : 0,
        };
        return Libc.Ioctl(listener, IoctlAddFd, &a) >= 0 ? 0 : Libc.Errno;
    }
}
