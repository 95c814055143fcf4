using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;
using static AppSwitch.Agent.SocketLock.BpfEmitter;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// The client's virtual IP on UDP datagrams across nodes. The client's agent puts an IPv4 option on the app's node
/// socket once (IP_OPTIONS; an unknown option type needs CAP_NET_RAW, which the agent has), so every datagram carries
/// it with no work per datagram: type 30 (RFC 4727 experiment), length 8, the RFC 6994-style magic and the VIP.
/// On the server's node a cgroup_skb ingress program on the agent's cgroup (node sockets only) reads it before the
/// socket queues the datagram and, for a datagram from a trusted node address (the nodes map, as for TCP), records
/// the sender's node ip:port as that VIP and port in the socket lock's translations map (the any-socket entries of
/// <see cref="DatagramTranslations.RecordClient"/>): the lock's recvmsg programs then show it, and its sendmsg programs
/// take the server's answers to it back — from the very first datagram. A datagram without the option costs a bounds
/// check and one or two byte loads.
/// </summary>
internal static class DatagramMark
{
    public const int ProgTypeCgroupSkb = 8, AttachInetIngress = 0, AttachInetEgress = 1;
    public const int IpOptions = 4; // IP_OPTIONS (SOL_IP)
    public const byte OptionType = 30, OptionLength = 8;

    // struct __sk_buff: the linear packet, from the IPv4 header on (the kernel pushes it back for cgroup programs).
    private const short SkbData = 76, SkbDataEnd = 80;
    // IPv4 header with exactly this option (IHL 7), then UDP.
    private const int MarkedVersionIhl = 0x47, ProtocolUdp = 17, MarkedLength = 36;
    private const short IpProtocolAt = 9, IpSourceAt = 12, OptionAt = 20, UdpSourcePortAt = 28;
    /// <summary>Where the option's VIP is in a marked datagram (after <see cref="JumpUnlessMarked"/>, from r2).</summary>
    internal const short OptionVipAt = 24;

    // Stack: reverse key (32) and value (20), forward key (32) and value (20), the nodes map key (4).
    private const short ReverseKeyAt = -32, ReverseValueAt = -56, ForwardKeyAt = -96, ForwardValueAt = -120, NodeKeyAt = -128;

    /// <summary>The option as setsockopt(IP_OPTIONS) takes it: type, length, magic (network order), the IPv4 VIP.</summary>
    public static byte[] Option(IPAddress vip)
    {
        var option = new byte[OptionLength];
        option[0] = OptionType;
        option[1] = OptionLength;
        option[2] = ClientAddressPrograms.OptionMagic >> 8;
        option[3] = ClientAddressPrograms.OptionMagic & 0xFF;
        vip.TryWriteBytes(option.AsSpan(4), out _);
        return option;
    }

    /// <summary>The ingress program (see the class): always lets the datagram in; only records.</summary>
    public static byte[] Ingress(int nodesMapFd, int translationsMapFd)
    {
        var e = new BpfEmitter();
        e.MovReg(R6, R1);
        JumpUnlessMarked(e, "done");

        // Every packet byte needed, onto the stack before any helper call clobbers r2.
        WriteKeyHead(e, ReverseKeyAt, DatagramTranslations.Reverse);
        WriteKeyHead(e, ForwardKeyAt, DatagramTranslations.Forward);
        WriteMappedHead(e, ReverseValueAt);
        WriteMappedHead(e, ForwardValueAt);
        e.Load(Size.Word, R4, R2, IpSourceAt);
        e.Store(Size.Word, R10, NodeKeyAt, R4);
        e.Store(Size.Word, R10, ReverseKeyAt + 20, R4);
        e.Store(Size.Word, R10, ForwardValueAt + 12, R4);
        e.Load(Size.Word, R4, R2, OptionVipAt);
        e.Store(Size.Word, R10, ReverseValueAt + 12, R4);
        e.Store(Size.Word, R10, ForwardKeyAt + 20, R4);
        e.Load(Size.Half, R4, R2, UdpSourcePortAt); // network order, as ctx->user_port keeps it in its low half
        foreach (var at in new[] { ReverseKeyAt + 24, ReverseValueAt + 16, ForwardKeyAt + 24, ForwardValueAt + 16 })
        {
            e.StoreImm(Size.Word, R10, (short)at, 0);
            e.Store(Size.Half, R10, (short)at, R4);
        }

        // Only a node of the cluster may say which app sent it: any other host's option is ignored.
        e.LoadMap(R1, nodesMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, NodeKeyAt);
        e.Call(Bpf.HelperMapLookup);
        e.JumpIfEqualImm(R0, 0, "done");
        e.Load(Size.Word, R3, R0, 0);
        e.JumpIfEqualImm(R3, 0, "done");

        // Already recorded for this VIP (every later datagram of the socket): nothing to write.
        e.LoadMap(R1, translationsMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, ReverseKeyAt);
        e.Call(Bpf.HelperMapLookup);
        e.JumpIfEqualImm(R0, 0, "record");
        e.Load(Size.Word, R3, R0, 12);
        e.Load(Size.Word, R4, R10, ReverseValueAt + 12);
        e.JumpIfEqual(R3, R4, "done");

        // The reverse entry first, as DatagramTranslations.Record does.
        e.Label("record");
        Update(e, translationsMapFd, ReverseKeyAt, ReverseValueAt);
        Update(e, translationsMapFd, ForwardKeyAt, ForwardValueAt);
        e.Label("done");
        e.Return(1);
        return e.ToBytes();
    }

    /// <summary>
    /// The predicate the ingress and egress programs share (r6 = the __sk_buff): jumps to <paramref name="unmarked"/>
    /// unless the linear packet is an IPv4 header with exactly the marker option (IHL 7) and UDP; else falls through
    /// with r2 = the packet start, bounds-checked for <see cref="MarkedLength"/> bytes. Any other form of the option
    /// (another IHL, another place) is ignored by both sides alike.
    /// </summary>
    internal static void JumpUnlessMarked(BpfEmitter e, string unmarked)
    {
        e.Load(Size.Word, R2, R6, SkbData);
        e.Load(Size.Word, R3, R6, SkbDataEnd);
        e.MovReg(R4, R2);
        e.AddImm(R4, MarkedLength);
        e.JumpIfGreater(R4, R3, unmarked); // shorter than a marked datagram (or not linear that far)
        e.Load(Size.Byte, R4, R2, 0);
        e.JumpIfNotEqualImm(R4, MarkedVersionIhl, unmarked);
        e.Load(Size.Byte, R4, R2, IpProtocolAt);
        e.JumpIfNotEqualImm(R4, ProtocolUdp, unmarked);
        e.Load(Size.Word, R4, R2, OptionAt);
        e.LoadImm64(R5, (uint)OptionHead); // a 64-bit compare: the loaded word is zero-extended
        e.JumpIfNotEqual(R4, R5, unmarked);
    }

    /// <summary>The option's first four bytes (type, length, magic) as a little-endian word loaded from the packet.</summary>
    private static uint OptionHead =>
        OptionType | (uint)OptionLength << 8 | (uint)(ClientAddressPrograms.OptionMagic >> 8) << 16 | (uint)(ClientAddressPrograms.OptionMagic & 0xFF) << 24;

    /// <summary>A translations key's cookie word (the any-socket pseudo-cookie), address prefix ::ffff: and direction.</summary>
    private static void WriteKeyHead(BpfEmitter e, short at, int direction)
    {
        e.StoreImm(Size.Double, R10, at, DatagramTranslations.AnySocket);
        WriteMappedHead(e, (short)(at + 8));
        e.StoreImm(Size.Word, R10, (short)(at + 28), direction);
    }

    /// <summary>The first 12 bytes of ::ffff:a.b.c.d at <paramref name="at"/>.</summary>
    private static void WriteMappedHead(BpfEmitter e, short at)
    {
        e.StoreImm(Size.Word, R10, at, 0);
        e.StoreImm(Size.Word, R10, (short)(at + 4), 0);
        e.StoreImm(Size.Word, R10, (short)(at + 8), unchecked((int)0xFFFF0000)); // bytes 00 00 ff ff
    }

    private static void Update(BpfEmitter e, int mapFd, short keyAt, short valueAt)
    {
        e.LoadMap(R1, mapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, keyAt);
        e.MovReg(R3, R10);
        e.AddImm(R3, valueAt);
        e.MovImm(R4, 0); // BPF_ANY
        e.Call(Bpf.HelperMapUpdate);
    }
}
