using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>Unix-socket peer credentials and fds received with SCM_RIGHTS.</summary>
internal static unsafe class FdPassing
{
    /// <summary>The peer's pid, uid and gid as the kernel recorded them at connect time.</summary>
    public static bool TryGetPeerCredentials(int socketFd, out Libc.UCred cred)
    {
        Libc.UCred c = default;
        socklen_t len = sizeof(Libc.UCred);
        var ok = LibC.getsockopt(socketFd, SOL.SOCKET, SO.PEERCRED, &c, &len) == 0;
        cred = c;
        return ok;
    }

    /// <summary>
    /// A pidfd of the peer process as it was at connect time (SO_PEERPIDFD, Linux 6.5+): unlike the pid of
    /// SO_PEERCRED it cannot come to name another process once the peer is gone (ENOPROTOOPT: older kernel).
    /// </summary>
    public static SysResult GetPeerPidfd(int socketFd)
    {
        var fd = -1;
        socklen_t len = sizeof(int);
        var r = SysResult.FromReturn(LibC.getsockopt(socketFd, SOL.SOCKET, SO.PEERPIDFD, &fd, &len));
        return r.IsError ? r : SysResult.Ok(fd);
    }

    private const int MaxFdsPerMessage = 8; // room in the control buffer; the launcher sends one or two

    /// <summary>
    /// Receives up to buffer.Length bytes and any fds sent with them (close-on-exec in the agent).
    /// Returns the byte count (0 at end of stream); fds beyond <paramref name="maxFds"/> are closed.
    /// </summary>
    public static SysResult Receive(int socketFd, Span<byte> buffer, List<int> fds, int maxFds)
    {
        var controlSize = LibC.CMSG_SPACE(MaxFdsPerMessage * sizeof(int));
        var control = stackalloc byte[controlSize];
        fixed (byte* data = buffer)
        {
            var iov = new iovec { iov_base = data, iov_len = buffer.Length };
            var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = controlSize };
            SysResult n;
            do n = SysResult.FromReturn(LibC.recvmsg(socketFd, &msg, MSG.CMSG_CLOEXEC));
            while (n.Error == Errno.EINTR);
            if (n.IsError) return n;
            for (var header = LibC.CMSG_FIRSTHDR(&msg); header != null; header = LibC.CMSG_NXTHDR(&msg, header))
            {
                if (header->cmsg_level != SOL.SOCKET || header->cmsg_type != SCM.RIGHTS) continue;
                var count = ((int)header->cmsg_len - LibC.CMSG_LEN(0)) / sizeof(int);
                var received = (int*)LibC.CMSG_DATA(header);
                for (var i = 0; i < count; i++)
                    if (fds.Count < maxFds) fds.Add(received[i]); else Libc.Close(received[i]);
            }
            return n;
        }
    }

    /// <summary>Whether fd is a seccomp notification listener (its anonymous inode says so).</summary>
    public static bool IsSeccompListener(int fd)
    {
        try
        {
            var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            return target is not null && target.Contains("seccomp", StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
    }
}
