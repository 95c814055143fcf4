namespace AppSwitch.Agent.Native;

/// <summary>
/// Which network namespace a socket or a process lives in, as the namespace's inode number (nsfs): equal
/// numbers, same namespace. 0 when it cannot be learnt.
/// </summary>
internal static unsafe class NetworkNamespace
{
    private const ulong SIOCGSKNS = 0x894C; // a new fd for the socket's namespace (needs CAP_NET_ADMIN there)

    /// <summary>The agent's own namespace: the node's network, where it makes node sockets.</summary>
    public static ulong Own { get; } = OfPath("/proc/self/ns/net");

    /// <summary>The namespace of the socket <paramref name="socketFd"/> (an fd of the agent's).</summary>
    public static ulong OfSocket(int socketFd)
    {
        var ns = Libc.Ioctl(socketFd, SIOCGSKNS, null);
        if (ns < 0) return 0;
        var inode = SocketCalls.Inode(ns);
        Libc.Close(ns);
        return inode;
    }

    /// <summary>The namespace of the process or thread <paramref name="tid"/>.</summary>
    public static ulong OfThread(int tid) => OfPath($"/proc/{tid}/ns/net");

    private static ulong OfPath(string path)
    {
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) return 0;
        var inode = SocketCalls.Inode(fd);
        Libc.Close(fd);
        return inode;
    }
}
