using System.Runtime.InteropServices;
using AppSwitch.Agent.Native;
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
        Assert.Equal(16, sizeof(FdPassing.CmsgHeader));
        Assert.Equal(12, sizeof(Epoll.PackedEvent));
        Assert.Equal(16, sizeof(Epoll.AlignedEvent));
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
        Assert.Equal(144, sizeof(Stat)); // x86-64's struct stat, the larger of the two we run on
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
