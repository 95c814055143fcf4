namespace AppSwitch.Agent.Native;

/// <summary>Unix-socket peer credentials and fds received with SCM_RIGHTS.</summary>
internal static unsafe class FdPassing
{
    private const int SolSocket = 1, ScmRights = 1, MsgCmsgCloexec = 0x40000000;

    /// <summary>The peer's pid, uid and gid as the kernel recorded them at connect time.</summary>
    public static bool TryGetPeerCredentials(int socketFd, out Libc.UCred cred)
    {
        Libc.UCred c = default;
        var len = sizeof(Libc.UCred);
        var ok = Libc.GetSockOpt(socketFd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, &c, &len) == 0;
        cred = c;
        return ok;
    }

    private const int SoPeerPidfd = 77; // Linux 6.5+

    /// <summary>
    /// A pidfd of the peer process as it was at connect time (SO_PEERPIDFD, Linux 6.5+): unlike the pid of
    /// SO_PEERCRED it cannot come to name another process once the peer is gone. -errno on failure (ENOPROTOOPT: older kernel).
    /// </summary>
    public static int GetPeerPidfd(int socketFd)
    {
        var fd = -1;
        var len = sizeof(int);
        return Libc.GetSockOpt(socketFd, Libc.SOL_SOCKET, SoPeerPidfd, &fd, &len) == 0 ? fd : -Libc.Errno;
    }

    /// <summary>
    /// Receives up to buffer.Length bytes and any fds sent with them (close-on-exec in the agent).
    /// Returns the byte count (0 at end of stream) or -errno; fds beyond <paramref name="maxFds"/> are closed.
    /// </summary>
    public static int Receive(int socketFd, Span<byte> buffer, List<int> fds, int maxFds)
    {
        const int headerSize = 16; // struct cmsghdr: size_t len, int level, int type
        var controlSize = headerSize + 4 * 8;
        var control = stackalloc byte[controlSize];
        fixed (byte* data = buffer)
        {
            var iov = new Libc.IoVec { Base = data, Length = (nuint)buffer.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = (nuint)controlSize };
            nint n;
            do n = Libc.RecvMsg(socketFd, &msg, MsgCmsgCloexec);
            while (n < 0 && Libc.Errno == Libc.EINTR);
            if (n < 0) return -Libc.Errno;
            if (msg.ControlLen >= headerSize)
            {
                var len = (int)*(nuint*)control;
                var level = *(int*)(control + 8);
                var type = *(int*)(control + 12);
                if (level == SolSocket && type == ScmRights)
                {
                    var count = (Math.Min(len, controlSize) - headerSize) / 4;
                    for (var i = 0; i < count; i++)
                    {
                        var fd = *(int*)(control + headerSize + 4 * i);
                        if (fds.Count < maxFds) fds.Add(fd); else Libc.Close(fd);
                    }
                }
            }
            return (int)n;
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
