using System.Runtime.InteropServices;
using AppSwitch.Agent.Native;
using Tmds.Linux;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>
/// The structs the agent hands the kernel have the kernel's sizes and offsets (linux/seccomp.h, linux/bpf.h,
/// netinet/in.h, asm-generic/stat.h), and the ioctl numbers built from their sizes are the headers' numbers.
/// </summary>
public sealed unsafe class NativeAbiTests
{
    [Fact]
    public void Seccomp_structs_have_the_kernels_sizes()
    {
        Assert.Equal(80, sizeof(Seccomp.Notification));
        Assert.Equal(24, sizeof(Seccomp.Response));
        Assert.Equal(24, sizeof(Seccomp.AddFdRequest));
        Assert.Equal(6, sizeof(Seccomp.Sizes));
        Assert.Equal(16, (int)Marshal.OffsetOf<Seccomp.Notification>(nameof(Seccomp.Notification.Nr)));
        Assert.Equal(32, (int)Marshal.OffsetOf<Seccomp.Notification>(nameof(Seccomp.Notification.Args)));
    }

    [Fact]
    public void The_running_kernel_agrees_on_the_seccomp_sizes()
    {
        var asked = Seccomp.GetKernelSizes(out var sizes);
        Assert.False(asked.IsError, $"seccomp(SECCOMP_GET_NOTIF_SIZES): {asked.Error}");
        Assert.Equal(sizeof(Seccomp.Notification), sizes.Notification);
        Assert.Equal(sizeof(Seccomp.Response), sizes.Response);
        Assert.Equal(64, sizes.Data); // struct seccomp_data, inline in Notification from Nr on
    }

    [Fact]
    public void Seccomp_ioctl_numbers_are_the_headers()
    {
        Assert.Equal(0xC0502100UL, Seccomp.Ioctls.Recv);     // SECCOMP_IOCTL_NOTIF_RECV
        Assert.Equal(0xC0182101UL, Seccomp.Ioctls.Send);     // SECCOMP_IOCTL_NOTIF_SEND
        Assert.Equal(0x40082102UL, Seccomp.Ioctls.IdValid);  // SECCOMP_IOCTL_NOTIF_ID_VALID
        Assert.Equal(0x40182103UL, Seccomp.Ioctls.AddFd);    // SECCOMP_IOCTL_NOTIF_ADDFD
        Assert.Equal(0x40082104UL, Seccomp.Ioctls.SetFlags); // SECCOMP_IOCTL_NOTIF_SET_FLAGS
    }

    [Fact]
    public void Socket_structs_have_the_kernels_sizes()
    {
        Assert.Equal(16, SockAddr.InetSize);
        Assert.Equal(28, SockAddr.Inet6Size);
        Assert.Equal(24, (int)Marshal.OffsetOf<SockAddr.Inet6Layout>(nameof(SockAddr.Inet6Layout.ScopeId)));
        Assert.Equal(12, sizeof(Libc.UCred));
        Assert.Equal(8, sizeof(Libc.PollFd));
        // Tmds.LibC's per-architecture build: epoll_event packed on x86-64 only (sys/epoll.h), cmsghdr of 64-bit.
        Assert.Equal(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16, sizeof(epoll_event));
        Assert.Equal(16, sizeof(cmsghdr));
        Assert.Equal(16, LibC.CMSG_LEN(0));
    }

    /// <summary>
    /// Our constants are C# consts (case labels, patterns); Tmds.LibC's are properties of its per-architecture build.
    /// Every one the agent hands the kernel must be the same number as in Tmds.LibC's build for this machine.
    /// </summary>
    [Fact]
    public void Our_constants_are_the_values_Tmds_LibC_has_for_this_machine()
    {
        (int Ours, int Theirs, string Name)[] pairs =
        [
            (AF.UNIX, LibC.AF_UNIX, "AF_UNIX"), (AF.INET, LibC.AF_INET, "AF_INET"), (AF.INET6, LibC.AF_INET6, "AF_INET6"),
            (AF.NETLINK, LibC.AF_NETLINK, "AF_NETLINK"),
            (SOCK.STREAM, LibC.SOCK_STREAM, "SOCK_STREAM"), (SOCK.DGRAM, LibC.SOCK_DGRAM, "SOCK_DGRAM"),
            (SOCK.NONBLOCK, LibC.SOCK_NONBLOCK, "SOCK_NONBLOCK"), (SOCK.CLOEXEC, LibC.SOCK_CLOEXEC, "SOCK_CLOEXEC"),
            (SOL.SOCKET, LibC.SOL_SOCKET, "SOL_SOCKET"),
            (IPPROTO.IP, LibC.IPPROTO_IP, "IPPROTO_IP"), (IPPROTO.TCP, LibC.IPPROTO_TCP, "IPPROTO_TCP"),
            (IPPROTO.UDP, LibC.IPPROTO_UDP, "IPPROTO_UDP"), (IPPROTO.IPV6, LibC.IPPROTO_IPV6, "IPPROTO_IPV6"),
            (SO.REUSEADDR, LibC.SO_REUSEADDR, "SO_REUSEADDR"), (SO.TYPE, LibC.SO_TYPE, "SO_TYPE"), (SO.ERROR, LibC.SO_ERROR, "SO_ERROR"),
            (SO.BROADCAST, LibC.SO_BROADCAST, "SO_BROADCAST"), (SO.SNDBUF, LibC.SO_SNDBUF, "SO_SNDBUF"),
            (SO.RCVBUF, LibC.SO_RCVBUF, "SO_RCVBUF"), (SO.KEEPALIVE, LibC.SO_KEEPALIVE, "SO_KEEPALIVE"),
            (SO.LINGER, LibC.SO_LINGER, "SO_LINGER"), (SO.REUSEPORT, LibC.SO_REUSEPORT, "SO_REUSEPORT"),
            (SO.PEERCRED, LibC.SO_PEERCRED, "SO_PEERCRED"), (SO.PROTOCOL, LibC.SO_PROTOCOL, "SO_PROTOCOL"),
            (SO.DOMAIN, LibC.SO_DOMAIN, "SO_DOMAIN"), (SO.PEERGROUPS, LibC.SO_PEERGROUPS, "SO_PEERGROUPS"),
            (TCP.NODELAY, LibC.TCP_NODELAY, "TCP_NODELAY"), (TCP.KEEPIDLE, LibC.TCP_KEEPIDLE, "TCP_KEEPIDLE"),
            (TCP.KEEPINTVL, LibC.TCP_KEEPINTVL, "TCP_KEEPINTVL"), (TCP.KEEPCNT, LibC.TCP_KEEPCNT, "TCP_KEEPCNT"),
            (TCP.INFO, LibC.TCP_INFO, "TCP_INFO"), (TCP.USER_TIMEOUT, LibC.TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT"),
            (IP.TOS, LibC.IP_TOS, "IP_TOS"), (IPV6.V6ONLY, LibC.IPV6_V6ONLY, "IPV6_V6ONLY"), (IPV6.TCLASS, LibC.IPV6_TCLASS, "IPV6_TCLASS"),
            (MSG.OOB, LibC.MSG_OOB, "MSG_OOB"), (MSG.DONTWAIT, LibC.MSG_DONTWAIT, "MSG_DONTWAIT"),
            (MSG.CMSG_CLOEXEC, LibC.MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"), (MSG.FASTOPEN, LibC.MSG_FASTOPEN, "MSG_FASTOPEN"),
            (SCM.RIGHTS, LibC.SCM_RIGHTS, "SCM_RIGHTS"), (SHUT.WR, LibC.SHUT_WR, "SHUT_WR"),
            (O.RDONLY, LibC.O_RDONLY, "O_RDONLY"), (O.NONBLOCK, LibC.O_NONBLOCK, "O_NONBLOCK"), (O.CLOEXEC, LibC.O_CLOEXEC, "O_CLOEXEC"),
            (F.GETFL, LibC.F_GETFL, "F_GETFL"), (F.SETFL, LibC.F_SETFL, "F_SETFL"),
            (F.DUPFD_CLOEXEC, LibC.F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"), (F.SETPIPE_SZ, LibC.F_SETPIPE_SZ, "F_SETPIPE_SZ"),
            (POLL.IN, LibC.POLLIN, "POLLIN"), (POLL.OUT, LibC.POLLOUT, "POLLOUT"), (POLL.ERR, LibC.POLLERR, "POLLERR"),
            (POLL.HUP, LibC.POLLHUP, "POLLHUP"), (POLL.NVAL, LibC.POLLNVAL, "POLLNVAL"),
            (EPOLL.CTL_ADD, LibC.EPOLL_CTL_ADD, "EPOLL_CTL_ADD"), (EPOLL.CTL_DEL, LibC.EPOLL_CTL_DEL, "EPOLL_CTL_DEL"),
            (EPOLL.CTL_MOD, LibC.EPOLL_CTL_MOD, "EPOLL_CTL_MOD"),
            ((int)EPOLL.IN, LibC.EPOLLIN, "EPOLLIN"), ((int)EPOLL.OUT, LibC.EPOLLOUT, "EPOLLOUT"), ((int)EPOLL.ERR, LibC.EPOLLERR, "EPOLLERR"),
            ((int)EPOLL.HUP, LibC.EPOLLHUP, "EPOLLHUP"), ((int)EPOLL.RDHUP, LibC.EPOLLRDHUP, "EPOLLRDHUP"),
            ((int)EPOLL.ONESHOT, LibC.EPOLLONESHOT, "EPOLLONESHOT"), (unchecked((int)EPOLL.ET), LibC.EPOLLET, "EPOLLET"),
            (EFD.NONBLOCK, LibC.EFD_NONBLOCK, "EFD_NONBLOCK"), (EFD.CLOEXEC, LibC.EFD_CLOEXEC, "EFD_CLOEXEC"),
            ((int)SPLICE.F_MOVE, LibC.SPLICE_F_MOVE, "SPLICE_F_MOVE"), ((int)SPLICE.F_NONBLOCK, LibC.SPLICE_F_NONBLOCK, "SPLICE_F_NONBLOCK"),
            (MNT.DETACH, LibC.MNT_DETACH, "MNT_DETACH"),
        ];
        Assert.Empty(pairs.Where(p => p.Ours != p.Theirs).Select(p => $"{p.Name}: ours {p.Ours}, Tmds.LibC {p.Theirs}"));
    }

    [Fact]
    public void Our_errno_values_are_Tmds_LibCs()
    {
        var differing = Enum.GetValues<Errno>().Where(e => e != Errno.None)
            .Select(e => (Name: e.ToString(), Ours: (int)e, Theirs: (int?)typeof(LibC).GetProperty(e.ToString())?.GetValue(null)))
            .Where(e => e.Ours != e.Theirs)
            .Select(e => $"{e.Name}: ours {e.Ours}, Tmds.LibC {e.Theirs?.ToString() ?? "none"}");
        Assert.Empty(differing);
    }

    [Fact]
    public void Bpf_attrs_have_the_kernels_layout()
    {
        Assert.Equal(28, (int)Marshal.OffsetOf<Bpf.MapCreateAttr>(nameof(Bpf.MapCreateAttr.MapName)));
        Assert.Equal(8, (int)Marshal.OffsetOf<Bpf.MapElemAttr>(nameof(Bpf.MapElemAttr.Key)));
        Assert.Equal(32, sizeof(Bpf.MapElemAttr));
        Assert.Equal(48, (int)Marshal.OffsetOf<Bpf.ProgLoadAttr>(nameof(Bpf.ProgLoadAttr.ProgName)));
        Assert.Equal(68, (int)Marshal.OffsetOf<Bpf.ProgLoadAttr>(nameof(Bpf.ProgLoadAttr.ExpectedAttachType)));
        Assert.Equal(16, sizeof(Bpf.ProgAttachAttr));
        Assert.Equal(16, sizeof(Bpf.InfoByFdAttr));
        Assert.Equal(40, sizeof(Bpf.MapInfoStruct));
    }

    [Fact]
    public void Fstat_reads_the_inode_the_kernel_reports()
    {
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64) Assert.Equal(144, sizeof(stat)); // asm/stat.h
        var path = Path.GetTempFileName();
        try
        {
            using var file = OwnedFd.From(FileCalls.OpenReadOnly(path), out var error) ?? throw new IOException($"open: {error}");
            using var fdinfo = OwnedFd.From(ProcessAccess.OpenFdInfo(Environment.ProcessId, file.Fd), out error) ?? throw new IOException($"fdinfo: {error}");
            var reported = ProcessAccess.ReadFdInfo(fdinfo.Fd);
            Assert.NotNull(reported);
            Assert.NotEqual(0UL, reported.Value.Inode);
            Assert.Equal(reported.Value.Inode, SocketCalls.Inode(file.Fd));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
