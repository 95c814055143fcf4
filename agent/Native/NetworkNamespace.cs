namespace AppSwitch.Agent.Native;

/// <summary>
/// Which network namespace a socket or a process lives in, as the namespace's inode number (nsfs): equal
/// numbers, same namespace. 0 when it cannot be learnt.
/// </summary>
internal static unsafe class NetworkNamespace
{
    private const ulong SIOCGSKNS = 0x894C; // linux/sockios.h: a new fd for the socket's namespace (needs CAP_NET_ADMIN there)

    /// <summary>The agent's own namespace: the node's network, where it makes node sockets.</summary>
    public static ulong Own { get; } = OfPath("/proc/self/ns/net");

    /// <summary>The namespace of the socket <paramref name="socketFd"/> (an fd of the agent's).</summary>
    public static ulong OfSocket(int socketFd)
    {
        using var ns = OwnedFd.From(SysResult.FromReturn(Libc.Ioctl(socketFd, SIOCGSKNS, null)), out _);
        return ns is null ? 0 : SocketCalls.Inode(ns.Fd);
    }

    /// <summary>The namespace of the process or thread <paramref name="tid"/>.</summary>
    public static ulong OfThread(int tid) => OfPath($"/proc/{tid}/ns/net");

    private static ulong OfPath(string path)
    {
        using var fd = OwnedFd.From(FileCalls.OpenReadOnly(path), out _);
        return fd is null ? 0 : SocketCalls.Inode(fd.Fd);
    }
}
