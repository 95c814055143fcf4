namespace AppSwitch.Agent.Native;

/// <summary>Unix-socket peer credentials and fds received with SCM_RIGHTS.</summary>
internal static unsafe class FdPassing
{
    /// <summary>The peer's pid, uid and gid as the kernel recorded them at connect time.</summary>
    public static bool TryGetPeerCredentials(int socketFd, out Libc.UCred cred)
    {
        Libc.UCred c = default;
        var len = sizeof(Libc.UCred);
        var ok = Libc.GetSockOpt(socketFd, SOL.SOCKET, SO.PEERCRED, &c, &len) == 0;
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
        var len = sizeof(int);
        var r = SysResult.FromReturn(Libc.GetSockOpt(socketFd, SOL.SOCKET, SO.PEERPIDFD, &fd, &len));
        return r.IsError ? r : SysResult.Ok(fd);
    }

    /// <summary>
    /// Receives up to buffer.Length bytes and any fds sent with them (close-on-exec in the agent).
    /// Returns the byte count (0 at end of stream); fds beyond <paramref name="maxFds"/> are closed.
    /// </summary>
    public static SysResult Receive(int socketFd, Span<byte> buffer, List<int> fds, int maxFds)
    {
        var headerSize = sizeof(CmsgHeader);
        var controlSize = headerSize + 4 * 8;
        var control = stackalloc byte[controlSize];
        fixed (byte* data = buffer)
        {
            var iov = new Libc.IoVec { Base = data, Length = (nuint)buffer.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = (nuint)controlSize };
            SysResult n;
            do n = SysResult.FromReturn(Libc.RecvMsg(socketFd, &msg, MSG.CMSG_CLOEXEC));
            while (n.Error == Errno.EINTR);
            if (n.IsError) return n;
            if (msg.ControlLen >= (nuint)headerSize)
            {
                var header = (CmsgHeader*)control;
                if (header->Level == SOL.SOCKET && header->Type == SCM.RIGHTS)
                {
                    var count = (Math.Min((int)header->Length, controlSize) - headerSize) / 4;
                    for (var i = 0; i < count; i++)
                    {
                        var fd = *(int*)(control + headerSize + 4 * i);
                        if (fds.Count < maxFds) fds.Add(fd); else Libc.Close(fd);
                    }
                }
            }
            return n;
        }
    }

    /// <summary>struct cmsghdr (16 bytes on 64-bit): the header before each control message's data.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    internal struct CmsgHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
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
