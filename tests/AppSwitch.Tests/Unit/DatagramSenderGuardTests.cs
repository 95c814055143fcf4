using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.Native;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The kernel verifier's verdict on the UDP marker's egress guard and the sock_release cleanup program.</summary>
public sealed class DatagramSenderGuardTests
{
    [Fact]
    public void The_verifier_accepts_the_egress_guard()
    {
        using var maps = new ScratchBpfMaps();
        var senderVips = maps.Create(Bpf.MapTypeHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, 16, "ax_test_vips");
        ScratchBpfMaps.AssertVerifierAccepts(DatagramMark.ProgTypeCgroupSkb, DatagramMark.AttachInetEgress, DatagramSenderGuard.Egress(senderVips), "ax_test_out");
    }

    [Fact]
    public void The_verifier_accepts_the_sock_release_program()
    {
        using var maps = new ScratchBpfMaps();
        var senderVips = maps.Create(Bpf.MapTypeHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, 16, "ax_test_vips");
        var clients = maps.Create(Bpf.MapTypeLruHash, ClientAddressPrograms.ClientKeySize, ClientAddressPrograms.VipSize, 16, "ax_test_clients");
        ScratchBpfMaps.AssertVerifierAccepts(SocketRelease.ProgTypeCgroupSock, SocketRelease.AttachInetSockRelease,
            SocketRelease.Program(senderVips, clients), "ax_test_release");
    }
}
