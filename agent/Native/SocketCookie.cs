namespace AppSwitch.Agent.Native;

/// <summary>SO_COOKIE: the socket's 64-bit id, the one BPF programs get from bpf_get_socket_cookie().</summary>
internal static class SocketCookie
{
    private const int SoCookie = 57;

    /// <summary>The socket's cookie (the kernel assigns one on first use), or null when fd is not a socket.</summary>
    public static ulong? Of(int fd)
    {
        Span<byte> cookie = stackalloc byte[sizeof(ulong)];
        var r = SocketCalls.GetRaw(fd, SOL.SOCKET, SoCookie, cookie);
        return r.IsError || r.Value != sizeof(ulong) ? null : BitConverter.ToUInt64(cookie);
    }
}
