namespace AppSwitch.Agent.Native;

// Socket constants by family, named as in the C headers with the family as the class (AF_INET is AF.INET), values
// from linux/socket.h, asm-generic/socket.h, netinet/in.h and linux/tcp.h (the same on x86-64 and arm64). C# consts
// (case labels, patterns), where Tmds.LibC has properties; Unit/NativeAbiTests checks each against its values.

/// <summary>Address families (AF_*).</summary>
internal static class AF
{
    public const int UNIX = 1, INET = 2, INET6 = 10, NETLINK = 16;
}

/// <summary>Socket types and the flags socket(2) takes with them (SOCK_*).</summary>
internal static class SOCK
{
    public const int STREAM = 1, DGRAM = 2, NONBLOCK = 0x800, CLOEXEC = 0x80000;
}

/// <summary>The socket-level option level (SOL_SOCKET); protocol levels are <see cref="IPPROTO"/>.</summary>
internal static class SOL
{
    public const int SOCKET = 1;
}

/// <summary>Protocol numbers, also the option levels of their protocols (IPPROTO_*).</summary>
internal static class IPPROTO
{
    public const int IP = 0, TCP = 6, UDP = 17, IPV6 = 41;
}

/// <summary>Options at <see cref="SOL.SOCKET"/> (SO_*).</summary>
internal static class SO
{
    public const int REUSEADDR = 2, TYPE = 3, ERROR = 4, BROADCAST = 6, SNDBUF = 7, RCVBUF = 8, KEEPALIVE = 9,
        LINGER = 13, REUSEPORT = 15, PEERCRED = 17, PROTOCOL = 38, DOMAIN = 39, PEERGROUPS = 59,
        PEERPIDFD = 77; // Linux 6.5+
}

/// <summary>Options at <see cref="IPPROTO.TCP"/> (TCP_*).</summary>
internal static class TCP
{
    public const int NODELAY = 1, KEEPIDLE = 4, KEEPINTVL = 5, KEEPCNT = 6, INFO = 11, USER_TIMEOUT = 18;
}

/// <summary>Options at <see cref="IPPROTO.IP"/> (IP_*).</summary>
internal static class IP
{
    public const int TOS = 1;
}

/// <summary>Options at <see cref="IPPROTO.IPV6"/> (IPV6_*).</summary>
internal static class IPV6
{
    public const int V6ONLY = 26, TCLASS = 67;
}

/// <summary>Flags of send and receive calls (MSG_*).</summary>
internal static class MSG
{
    public const int OOB = 1, DONTWAIT = 0x40, CMSG_CLOEXEC = 0x40000000, FASTOPEN = 0x20000000;
}

/// <summary>Control message types at <see cref="SOL.SOCKET"/> (SCM_*).</summary>
internal static class SCM
{
    public const int RIGHTS = 1;
}

/// <summary>How shutdown(2) closes (SHUT_*).</summary>
internal static class SHUT
{
    public const int WR = 1;
}
