using AppSwitch.Agent.Native;
using static AppSwitch.Agent.SocketLock.BpfEmitter;

namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// The BPF_PROG_TYPE_CGROUP_SOCK_ADDR programs attached to the agent's cgroup. They run for sockets of that cgroup
/// (the agent's node sockets, wherever their fds went) and decide nothing about routing: only *who* may give a node
/// socket a new address. connect/bind: the agent's own tasks. sendmsg with an address (UDP): the agent's tasks, the
/// socket's connected peer, or a peer the socket has received from (recorded by the recvmsg programs). "The agent's
/// tasks" are those of any cgroup in the agents map: every agent of the node adds its own, so a new agent started in
/// another parent cgroup (a DaemonSet's new pod, a restarted container) still owns its predecessors' sockets.
/// </summary>
internal static class SocketLockPrograms
{
    // struct bpf_sock_addr (the program's context).
    private const short CtxUserIp4 = 4, CtxUserIp6 = 8, CtxUserPort = 24, CtxSocket = 64;
    // struct bpf_sock (ctx->sk).
    private const short SockFamily = 4, SockDstPort = 48, SockDstIp4 = 52, SockDstIp6 = 56;

    /// <summary>Peers map key: socket cookie (8), peer address as IPv6, IPv4 as ::ffff:a.b.c.d (16), port (4), zero (4).</summary>
    public const int PeerKeySize = 32, PeerValueSize = 4;
    private const short KeyAt = -32, ValueAt = -40, CgroupIdAt = -48;
    /// <summary>Agents map: cgroup id (8) → 1 (4).</summary>
    public const int AgentKeySize = 8, AgentValueSize = 4;
    private const int Allow = 1, Deny = 0;

    /// <summary>connect4/6, bind4/6: only the agent's tasks.</summary>
    public static byte[] OwnerOnly(int agentsMapFd)
    {
        var e = new BpfEmitter();
        JumpIfAgent(e, agentsMapFd, "allow");
        e.Return(Deny);
        e.Label("allow");
        e.Return(Allow);
        return e.ToBytes();
    }

    /// <summary>
    /// sendmsg4/6 with an address: the agent's tasks as they are; a destination the agent decided for this socket
    /// (<see cref="DatagramTranslations"/>: a virtual ip:port) is rewritten to the node endpoint it chose and allowed;
    /// else an AppSwitch client's virtual ip:port heard from is rewritten to its node endpoint; else only the connected
    /// peer or a peer heard from.
    /// </summary>
    public static byte[] SendGuard(bool ipv6, int agentsMapFd, int peersMapFd, int translationsMapFd)
    {
        var e = new BpfEmitter();
        e.MovReg(R6, R1);
        JumpIfAgent(e, agentsMapFd, "allow");

        WritePeerKey(e, ipv6);
        Translate(e, ipv6, translationsMapFd, DatagramTranslations.Forward, "client");
        e.Return(Allow);

        // An answer to an AppSwitch client's virtual ip:port (DatagramTranslations.RecordClient, any socket): sent to
        // that client's node endpoint, and only by a socket that heard from it (the peers map, as for any peer).
        e.Label("client");
        e.StoreImm(Size.Double, R10, KeyAt, DatagramTranslations.AnySocket);
        Translate(e, ipv6, translationsMapFd, DatagramTranslations.Forward, "guard");
        WritePeerKey(e, ipv6); // this socket and the node endpoint now in ctx
        e.JumpAlways("heard");

        e.Label("guard");
        WritePeerKey(e, ipv6); // the peers key again (its cookie was replaced above)
        e.Load(Size.Double, R7, R6, CtxSocket);
        if (ipv6)
        {
            for (short i = 0; i < 16; i += 4) JumpUnlessSame(e, SockDstIp6 + i, CtxUserIp6 + i, "heard");
        }
        else
        {
            // A v6 socket's dst_ip4 is a placeholder (127.0.0.6) unless its peer is v4-mapped: compare v4 sockets only.
            e.Load(Size.Word, R3, R7, SockFamily);
            e.JumpIfNotEqualImm(R3, AF.INET, "heard");
            JumpUnlessSame(e, SockDstIp4, CtxUserIp4, "heard");
        }
        e.Load(Size.Half, R3, R7, SockDstPort);
        e.Load(Size.Word, R4, R6, CtxUserPort);
        e.JumpIfEqual(R3, R4, "allow");

        e.Label("heard");
        e.LoadMap(R1, peersMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, KeyAt);
        e.Call(Bpf.HelperMapLookup);
        e.JumpIfNotEqualImm(R0, 0, "allow");
        e.Return(Deny);
        e.Label("allow");
        e.Return(Allow);
        return e.ToBytes();
    }

    /// <summary>
    /// recvmsg4/6 with an address: remember (socket, sender); a sender the agent sent this socket's datagrams to in
    /// place of a virtual ip:port is shown as that virtual ip:port (<see cref="DatagramTranslations"/>); else a
    /// sender that is an AppSwitch client's node socket is shown as its app's virtual ip:port (the client's address).
    /// </summary>
    public static byte[] PeerRecorder(bool ipv6, int peersMapFd, int translationsMapFd)
    {
        var e = new BpfEmitter();
        e.MovReg(R6, R1);
        WritePeerKey(e, ipv6);
        e.StoreImm(Size.Word, R10, ValueAt, 1);
        e.LoadMap(R1, peersMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, KeyAt);
        e.MovReg(R3, R10);
        e.AddImm(R3, ValueAt);
        e.MovImm(R4, 0); // BPF_ANY
        e.Call(Bpf.HelperMapUpdate);

        Translate(e, ipv6, translationsMapFd, DatagramTranslations.Reverse, "client");
        e.Return(Allow);
        // Not an answer to this socket's own sends: a datagram from an AppSwitch client's node socket shows its app's VIP.
        e.Label("client");
        e.StoreImm(Size.Double, R10, KeyAt, DatagramTranslations.AnySocket);
        Translate(e, ipv6, translationsMapFd, DatagramTranslations.Reverse, "done");
        e.Label("done");
        e.Return(Allow); // recvmsg programs must return 1
        return e.ToBytes();
    }

    /// <summary>
    /// Looks the peers key on the stack up in the translations map as <paramref name="direction"/>: on a hit ctx's user
    /// address and port become the entry's and the code falls through; else it jumps to <paramref name="miss"/>. ctx in r6.
    /// </summary>
    private static void Translate(BpfEmitter e, bool ipv6, int translationsMapFd, int direction, string miss)
    {
        e.StoreImm(Size.Word, R10, KeyAt + 28, direction);
        e.LoadMap(R1, translationsMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, KeyAt);
        e.Call(Bpf.HelperMapLookup);
        e.JumpIfEqualImm(R0, 0, miss);
        WriteAddressFrom(e, ipv6);
    }

    /// <summary>ctx's user address and port = the translation value r0 points at (address as IPv6, port word); ctx in r6.</summary>
    private static void WriteAddressFrom(BpfEmitter e, bool ipv6)
    {
        if (ipv6)
        {
            for (short i = 0; i < 16; i += 4)
            {
                e.Load(Size.Word, R3, R0, i);
                e.Store(Size.Word, R6, (short)(CtxUserIp6 + i), R3);
            }
        }
        else
        {
            e.Load(Size.Word, R3, R0, 12); // the v4 address of ::ffff:a.b.c.d
            e.Store(Size.Word, R6, CtxUserIp4, R3);
        }
        e.Load(Size.Word, R3, R0, 16);
        e.Store(Size.Word, R6, CtxUserPort, R3);
    }

    /// <summary>Jumps to <paramref name="label"/> when the calling task's cgroup is in the agents map (clobbers r0-r5).</summary>
    private static void JumpIfAgent(BpfEmitter e, int agentsMapFd, string label)
    {
        e.Call(Bpf.HelperCurrentCgroupId);
        e.Store(Size.Double, R10, CgroupIdAt, R0);
        e.LoadMap(R1, agentsMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, CgroupIdAt);
        e.Call(Bpf.HelperMapLookup);
        e.JumpIfNotEqualImm(R0, 0, label);
    }

    /// <summary>Jumps to <paramref name="label"/> when the socket's word at <paramref name="sockOffset"/> differs from the context's.</summary>
    private static void JumpUnlessSame(BpfEmitter e, int sockOffset, int ctxOffset, string label)
    {
        e.Load(Size.Word, R3, R7, (short)sockOffset);
        e.Load(Size.Word, R4, R6, (short)ctxOffset);
        e.JumpIfNotEqual(R3, R4, label);
    }

    /// <summary>The peers key of (this socket, ctx's address) on the stack at <see cref="KeyAt"/>; ctx in r6.</summary>
    private static void WritePeerKey(BpfEmitter e, bool ipv6)
    {
        e.MovReg(R1, R6);
        e.Call(Bpf.HelperSocketCookie);
        e.Store(Size.Double, R10, KeyAt, R0);
        if (ipv6)
        {
            for (short i = 0; i < 16; i += 4)
            {
                e.Load(Size.Word, R3, R6, (short)(CtxUserIp6 + i));
                e.Store(Size.Word, R10, (short)(KeyAt + 8 + i), R3);
            }
        }
        else
        {
            // As a dual-stack socket's recvmsg6 reports it, so either family's hook finds the other's entries.
            e.StoreImm(Size.Word, R10, KeyAt + 8, 0);
            e.StoreImm(Size.Word, R10, KeyAt + 12, 0);
            e.StoreImm(Size.Word, R10, KeyAt + 16, unchecked((int)0xFFFF0000)); // bytes 00 00 ff ff
            e.Load(Size.Word, R3, R6, CtxUserIp4);
            e.Store(Size.Word, R10, KeyAt + 20, R3);
        }
        e.Load(Size.Word, R3, R6, CtxUserPort);
        e.Store(Size.Word, R10, KeyAt + 24, R3);
        e.StoreImm(Size.Word, R10, KeyAt + 28, 0);
    }
}
