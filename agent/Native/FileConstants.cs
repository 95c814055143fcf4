namespace AppSwitch.Agent.Native;

// File, poll and event constants by family, named as in the C headers with the family as the class (O_CLOEXEC is
// O.CLOEXEC), values from asm-generic/fcntl.h, poll.h, sys/epoll.h, sys/eventfd.h and fcntl.h (x86-64 and arm64 alike).

/// <summary>open(2) and file status flags (O_*).</summary>
internal static class O
{
    public const int RDONLY = 0, NONBLOCK = 0x800, CLOEXEC = 0x80000;
}

/// <summary>fcntl(2) commands (F_*).</summary>
internal static class F
{
    public const int GETFL = 3, SETFL = 4, DUPFD_CLOEXEC = 1030, SETPIPE_SZ = 1031;
}

/// <summary>poll(2) events (POLL*).</summary>
internal static class POLL
{
    public const short IN = 1, OUT = 4, ERR = 8, HUP = 16, NVAL = 32;
}

/// <summary>epoll_ctl(2) operations and epoll events (EPOLL_CTL_*, EPOLL*).</summary>
internal static class EPOLL
{
    public const int CTL_ADD = 1, CTL_DEL = 2, CTL_MOD = 3;
    public const uint IN = 0x1, OUT = 0x4, ERR = 0x8, HUP = 0x10, RDHUP = 0x2000, ONESHOT = 1u << 30, ET = 1u << 31;
}

/// <summary>eventfd(2) flags (EFD_*).</summary>
internal static class EFD
{
    public const int NONBLOCK = 0x800, CLOEXEC = 0x80000;
}

/// <summary>splice(2) flags (SPLICE_F_*).</summary>
internal static class SPLICE
{
    public const uint F_MOVE = 1, F_NONBLOCK = 2;
}

/// <summary>umount2(2) flags (MNT_*).</summary>
internal static class MNT
{
    public const int DETACH = 2;
}
