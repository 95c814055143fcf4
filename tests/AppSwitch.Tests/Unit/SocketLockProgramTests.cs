using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The socket lock's eBPF: the emitter's encoding and the kernel verifier's verdict on every program (load only, no attach).</summary>
public sealed class SocketLockProgramTests
{
    [Fact]
    public void The_emitter_encodes_as_the_kernel_documents()
    {
        var e = new BpfEmitter();
        e.JumpIfNotEqualImm(BpfEmitter.R1, 2, "out"); // jne r1, 2, +2 (over the two slots of the 64-bit load)
        e.LoadImm64(BpfEmitter.R2, 0x1_0000_0002);
        e.Label("out");
        e.Return(1);
        Assert.Equal(Convert.FromHexString(
            "5501020002000000" + // BPF_JMP|BPF_JNE|BPF_K, dst r1, off 2, imm 2
            "1802000002000000" + "0000000001000000" + // BPF_LD|BPF_DW|BPF_IMM r2: low word, then high word
            "b700000001000000" + // r0 = 1 (BPF_ALU64|BPF_MOV|BPF_K)
            "9500000000000000"), // exit
            e.ToBytes());
    }

    [Fact]
    public void A_jump_to_a_label_never_placed_is_a_programming_error()
    {
        var e = new BpfEmitter();
        e.JumpIfEqual(BpfEmitter.R0, BpfEmitter.R1, "nowhere");
        Assert.Throws<InvalidOperationException>(() => e.ToBytes());
    }

    [Fact]
    public void The_verifier_accepts_every_program_for_its_hook()
    {
        using var maps = new ScratchBpfMaps();
        var map = maps.Create(Bpf.MapTypeLruHash, SocketLockPrograms.PeerKeySize, SocketLockPrograms.PeerValueSize, 16, "ax_test_peers");
        var agents = maps.Create(Bpf.MapTypeHash, SocketLockPrograms.AgentKeySize, SocketLockPrograms.AgentValueSize, 4, "ax_test_agents");
        var translations = maps.Create(Bpf.MapTypeLruHash, DatagramTranslations.KeySize, DatagramTranslations.ValueSize, 16, "ax_test_xlate");
        (byte[] Program, int Hook)[] programs =
        [
            (SocketLockPrograms.OwnerOnly(agents), Bpf.AttachInet4Connect),
            (SocketLockPrograms.OwnerOnly(agents), Bpf.AttachInet6Bind),
            (SocketLockPrograms.SendGuard(false, agents, map, translations), Bpf.AttachUdp4Sendmsg),
            (SocketLockPrograms.SendGuard(true, agents, map, translations), Bpf.AttachUdp6Sendmsg),
            (SocketLockPrograms.PeerRecorder(false, map, translations), Bpf.AttachUdp4Recvmsg),
            (SocketLockPrograms.PeerRecorder(true, map, translations), Bpf.AttachUdp6Recvmsg),
        ];
        foreach (var (program, hook) in programs) ScratchBpfMaps.AssertVerifierAccepts(Bpf.ProgTypeCgroupSockAddr, hook, program, "ax_test");
    }

    [Fact]
    public void A_refused_program_comes_with_the_verifiers_reason()
    {
        // recvmsg programs must return 1: the owner-only program (may return 0) is refused there.
        var agents = Bpf.CreateMap(Bpf.MapTypeHash, SocketLockPrograms.AgentKeySize, SocketLockPrograms.AgentValueSize, 4, "ax_test_agents").Fd;
        var fd = Bpf.LoadProgram(Bpf.ProgTypeCgroupSockAddr, Bpf.AttachUdp4Recvmsg, SocketLockPrograms.OwnerOnly(agents), "ax_test", out var log);
        Libc.Close(agents);
        Assert.True(fd.IsError, "the kernel loaded a recvmsg program that can return 0");
        Assert.Contains("R0", log);
    }
}
