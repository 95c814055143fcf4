using System.Net;
using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The UDP client-address marker: the IPv4 option's bytes and the kernel verifier's verdict on its ingress program.</summary>
public sealed class DatagramMarkTests
{
    [Fact]
    public void The_option_is_an_rfc_4727_experiment_with_the_magic_and_the_vip()
    {
        // RFC 791 option: type 30 (copy 0, class 0, number 30: RFC 4727's experiment), length 8; then 0xA5C1, the VIP.
        Assert.Equal(new byte[] { 30, 8, 0xA5, 0xC1, 198, 18, 0, 2 }, DatagramMark.Option(IPAddress.Parse("198.18.0.2")));
    }

    [Fact]
    public void The_verifier_accepts_the_ingress_program()
    {
        using var maps = new ScratchBpfMaps();
        var nodes = maps.Create(Bpf.MapTypeHash, ClientAddressPrograms.NodeKeySize, ClientAddressPrograms.NodeValueSize, 4, "ax_test_nodes");
        var translations = maps.Create(Bpf.MapTypeLruHash, DatagramTranslations.KeySize, DatagramTranslations.ValueSize, 16, "ax_test_xlate");
        ScratchBpfMaps.AssertVerifierAccepts(DatagramMark.ProgTypeCgroupSkb, DatagramMark.AttachInetIngress, DatagramMark.Ingress(nodes, translations), "ax_test");
    }
}
