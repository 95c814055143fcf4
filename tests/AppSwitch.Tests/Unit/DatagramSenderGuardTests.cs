using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.Native;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The kernel verifier's verdict on the UDP marker's egress guard and the sock_release cleanup program.</summary>
public sealed class DatagramSenderGuardTests
{
    [Fact]
    public void The_verifier_accepts_the_egress_guard()
    {
        var senderVips = Bpf.CreateMap(Bpf.MapTypeHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, 16, "ax_test_vips").Fd;
        try
        {
            var fd = Bpf.LoadProgram(DatagramMark.ProgTypeCgroupSkb, DatagramMark.AttachInetEgress,
                DatagramSenderGuard.Egress(senderVips), "ax_test_out", out var log);
            Assert.True(!fd.IsError, $"{fd.Error}\n{log}");
            Libc.Close(fd.Fd);
        }
        finally { Libc.Close(senderVips); }
    }

    [Fact]
    public void The_verifier_accepts_the_sock_release_program()
    {
        var senderVips = Bpf.CreateMap(Bpf.MapTypeHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, 16, "ax_test_vips").Fd;
        var clients = Bpf.CreateMap(Bpf.MapTypeLruHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, 16, "ax_test_clients").Fd;
        try
        {
            var fd = Bpf.LoadProgram(SocketRelease.ProgTypeCgroupSock, SocketRelease.AttachInetSockRelease,
                SocketRelease.Program(senderVips, clients), "ax_test_release", out var log);
            Assert.True(!fd.IsError, $"{fd.Error}\n{log}");
            Libc.Close(fd.Fd);
        }
        finally
        {
            Libc.Close(senderVips);
            Libc.Close(clients);
        }
    }
}
