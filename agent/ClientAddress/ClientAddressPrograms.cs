using AppSwitch.Agent.SocketLock;
using static AppSwitch.Agent.SocketLock.BpfEmitter;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// The BPF programs that carry a client app's virtual IP to the server's node, attached to the agent's cgroup (so they
/// run for node sockets only, the agent's own, wherever their fds went; accepted sockets are the listener's).
/// <list type="bullet">
/// <item>sock_ops, client side: a node socket the agent marked (clients map: socket cookie → VIP) gets the header-option
/// callbacks from its connect on, writes one 8-byte TCP option on its SYN (kind 254, RFC 6994 magic, the IPv4 VIP) and
/// drops the callbacks when established: nothing runs per segment afterwards.</item>
/// <item>sock_ops, server side: a listener asks for the callbacks when it starts listening; while the kernel writes the
/// SYN-ACK the program reads the option from the SYN (no saved SYN needed, works under syncookies) and records
/// (client ip:port, server ip:port) → VIP, only when the SYN comes from a trusted node address (nodes map: the cluster's
/// node addresses). The child socket drops the inherited callbacks when established.</item>
/// <item>getpeername4/6: the accepted socket's peer address becomes the recorded VIP (the port stays the client node
/// socket's, which is what the client's own getsockname shows). accept()/accept4() report the peer through the same
/// kernel path (inet_getname), so the app sees the VIP there too without any trapped call.</item>
/// </list>
/// </summary>
internal static class ClientAddressPrograms
{
    public const int ProgTypeSockOps = 13, AttachSockOps = 3, AttachInet4GetPeerName = 29, AttachInet6GetPeerName = 30;
    private const int HelperMapLookup = 1, HelperMapUpdate = 2, HelperMapDelete = 3, HelperSocketCookie = 46,
        HelperSetCallbackFlags = 59, HelperLoadHeaderOption = 142, HelperStoreHeaderOption = 143, HelperReserveHeaderOption = 144;

    // struct bpf_sock_ops (offsets checked against linux/bpf.h by Unit/ClientAddressProgramsTests).
    internal const short OpsOp = 0, OpsRemoteIp4 = 24, OpsLocalIp4 = 28, OpsRemotePort = 64, OpsLocalPort = 68, OpsCallbackFlags = 84,
        OpsTcpFlags = 212;
    private const int OpConnect = 3, OpActiveEstablished = 4, OpPassiveEstablished = 5, OpListen = 11, OpHeaderOptionLength = 14,
        OpWriteHeaderOption = 15;
    private const int WriteHeaderOptionFlag = 1 << 6, LoadFromSyn = 1;
    private const int TcpSyn = 0x02, TcpSynAck = 0x12, ENOENT = 2;

    // struct bpf_sock_addr and struct bpf_sock (ctx->sk).
    private const short CtxUserIp4 = 4, CtxUserIp6 = 8, CtxSocket = 64;
    private const short SockSrcIp4 = 24, SockSrcPort = 44, SockDstPort = 48, SockDstIp4 = 52;

    /// <summary>The option: kind 254 (experimental), length 8, 16-bit magic (RFC 6994 ExID), then the IPv4 VIP.</summary>
    public const byte OptionKind = 254, OptionLength = 8;
    public const ushort OptionMagic = 0xA5C1;

    /// <summary>Clients map: socket cookie (8) → VIP (4, network order).</summary>
    public const int ClientKeySize = 8, VipSize = 4;
    /// <summary>Peers map: client ip, server ip (network order), client port (as the kernel keeps it), server port (host order), 4 each → VIP.</summary>
    public const int PeerKeySize = 16;
    /// <summary>Nodes map: node IPv4 (network order) → 1 trusted, 0 no longer (a key is reset rather than deleted).</summary>
    public const int NodeKeySize = 4, NodeValueSize = 4;

    private const short CookieAt = -8, OptionAt = -16, PeerKeyAt = -32, NodeKeyAt = -40, SearchAt = -48;

    public static byte[] SockOps(int clientsMapFd, int peersMapFd, int nodesMapFd)
    {
        var e = new BpfEmitter();
        e.MovReg(R6, R1);
        e.Load(Size.Word, R2, R6, OpsOp);
        e.JumpIfEqualImm(R2, OpConnect, "connect");
        e.JumpIfEqualImm(R2, OpHeaderOptionLength, "length");
        e.JumpIfEqualImm(R2, OpWriteHeaderOption, "write");
        e.JumpIfEqualImm(R2, OpListen, "listen");
        e.JumpIfEqualImm(R2, OpActiveEstablished, "active");
        e.JumpIfEqualImm(R2, OpPassiveEstablished, "quiet");
        e.Return(1);

        // A marked client socket: header-option callbacks for its SYN.
        e.Label("connect");
        LookupClient(e, clientsMapFd);
        e.JumpIfEqualImm(R0, 0, "done");
        SetCallbacks(e, on: true);
        e.Return(1);

        // A listener: callbacks for its SYN-ACKs, where the client's SYN is at hand.
        e.Label("listen");
        SetCallbacks(e, on: true);
        e.Return(1);

        // Established: the mark is spent, no callback per segment from now on.
        e.Label("active");
        CookieKey(e);
        e.LoadMap(R1, clientsMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, CookieAt);
        e.Call(HelperMapDelete);
        e.Label("quiet");
        SetCallbacks(e, on: false);
        e.Return(1);

        e.Label("length");
        e.Load(Size.Word, R2, R6, OpsTcpFlags);
        e.AndImm(R2, TcpSynAck);
        e.JumpIfEqualImm(R2, TcpSynAck, "synack");
        e.JumpIfNotEqualImm(R2, TcpSyn, "done");
        e.MovReg(R1, R6);
        e.MovImm(R2, OptionLength);
        e.MovImm(R3, 0);
        e.Call(HelperReserveHeaderOption);
        e.Return(1);

        e.Label("write");
        e.Load(Size.Word, R2, R6, OpsTcpFlags);
        e.AndImm(R2, TcpSynAck);
        e.JumpIfNotEqualImm(R2, TcpSyn, "done");
        LookupClient(e, clientsMapFd);
        e.JumpIfEqualImm(R0, 0, "done");
        e.Load(Size.Word, R3, R0, 0);
        e.StoreImm(Size.Word, R10, OptionAt, OptionHead(OptionLength));
        e.Store(Size.Word, R10, OptionAt + 4, R3);
        e.MovReg(R1, R6);
        e.MovReg(R2, R10);
        e.AddImm(R2, OptionAt);
        e.MovImm(R3, OptionLength);
        e.MovImm(R4, 0);
        e.Call(HelperStoreHeaderOption);
        e.Return(1);

        // The SYN-ACK of a listener (ctx is the request socket): record or forget this connection's client VIP.
        e.Label("synack");
        e.Load(Size.Word, R3, R6, OpsRemoteIp4);
        e.Store(Size.Word, R10, PeerKeyAt, R3);
        e.Store(Size.Word, R10, NodeKeyAt, R3);
        e.Load(Size.Word, R3, R6, OpsLocalIp4);
        e.Store(Size.Word, R10, PeerKeyAt + 4, R3);
        e.Load(Size.Word, R3, R6, OpsRemotePort);
        e.RshImm(R3, 16); // sock_ops keeps the network-order port in the upper half
        e.Store(Size.Word, R10, PeerKeyAt + 8, R3);
        e.Load(Size.Word, R3, R6, OpsLocalPort);
        e.Store(Size.Word, R10, PeerKeyAt + 12, R3);

        e.LoadMap(R1, nodesMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, NodeKeyAt);
        e.Call(HelperMapLookup);
        e.JumpIfEqualImm(R0, 0, "forget"); // not from a node of the cluster: an option there proves nothing
        e.Load(Size.Word, R3, R0, 0);
        e.JumpIfEqualImm(R3, 0, "forget");

        e.StoreImm(Size.Word, R10, SearchAt, OptionHead(4)); // kind 254 with a 2-byte magic: "length" 4 in the search key
        e.StoreImm(Size.Word, R10, SearchAt + 4, 0);
        e.MovReg(R1, R6);
        e.MovReg(R2, R10);
        e.AddImm(R2, SearchAt);
        e.MovImm(R3, OptionLength);
        e.MovImm(R4, LoadFromSyn);
        e.Call(HelperLoadHeaderOption);
        e.JumpIfEqualImm(R0, -ENOENT, "done"); // a retransmitted SYN-ACK has no SYN at hand: keep what the first one found
        e.JumpIfNotEqualImm(R0, OptionLength, "forget");
        e.LoadMap(R1, peersMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, PeerKeyAt);
        e.MovReg(R3, R10);
        e.AddImm(R3, SearchAt + 4);
        e.MovImm(R4, 0); // BPF_ANY
        e.Call(HelperMapUpdate);
        e.Return(1);

        // A client that carries no VIP (not under AppSwitch) reusing a recorded 4-tuple keeps its real address.
        e.Label("forget");
        e.LoadMap(R1, peersMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, PeerKeyAt);
        e.Call(HelperMapDelete);
        e.Label("done");
        e.Return(1);
        return e.ToBytes();
    }

    /// <summary>getpeername4/6 (and accept's peer): the recorded VIP in place of the client's node address.</summary>
    public static byte[] GetPeerName(bool ipv6, int peersMapFd)
    {
        var e = new BpfEmitter();
        e.MovReg(R6, R1);
        e.Load(Size.Double, R7, R6, CtxSocket);
        e.Load(Size.Word, R3, R7, SockDstIp4); // a v6 socket's v4-mapped peer too; a real v6 peer is never recorded
        e.Store(Size.Word, R10, PeerKeyAt, R3);
        e.Load(Size.Word, R3, R7, SockSrcIp4);
        e.Store(Size.Word, R10, PeerKeyAt + 4, R3);
        e.Load(Size.Half, R3, R7, SockDstPort);
        e.Store(Size.Word, R10, PeerKeyAt + 8, R3);
        e.Load(Size.Word, R3, R7, SockSrcPort);
        e.Store(Size.Word, R10, PeerKeyAt + 12, R3);
        e.LoadMap(R1, peersMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, PeerKeyAt);
        e.Call(HelperMapLookup);
        e.JumpIfEqualImm(R0, 0, "done");
        e.Load(Size.Word, R3, R0, 0);
        if (ipv6)
        {
            // ::ffff:a.b.c.d, as the kernel shows a v4 peer on a dual-stack socket.
            e.StoreImm(Size.Word, R6, CtxUserIp6, 0);
            e.StoreImm(Size.Word, R6, CtxUserIp6 + 4, 0);
            e.StoreImm(Size.Word, R6, CtxUserIp6 + 8, unchecked((int)0xFFFF0000)); // bytes 00 00 ff ff
            e.Store(Size.Word, R6, CtxUserIp6 + 12, R3);
        }
        else
        {
            e.Store(Size.Word, R6, CtxUserIp4, R3);
        }
        e.Label("done");
        e.Return(1);
        return e.ToBytes();
    }

    /// <summary>A program that does nothing: attached in place of ours when the feature is off (replaces an earlier agent's).</summary>
    public static byte[] Nothing()
    {
        var e = new BpfEmitter();
        e.Return(1);
        return e.ToBytes();
    }

    /// <summary>The option's first four bytes (kind, length, magic in network order) as a little-endian word.</summary>
    internal static int OptionHead(byte length) =>
        OptionKind | length << 8 | (OptionMagic >> 8) << 16 | (OptionMagic & 0xFF) << 24;

    /// <summary>r0 = the clients map's VIP of this socket, or 0 (ctx in r6; clobbers r1-r5).</summary>
    private static void LookupClient(BpfEmitter e, int clientsMapFd)
    {
        CookieKey(e);
        e.LoadMap(R1, clientsMapFd);
        e.MovReg(R2, R10);
        e.AddImm(R2, CookieAt);
        e.Call(HelperMapLookup);
    }

    private static void CookieKey(BpfEmitter e)
    {
        e.MovReg(R1, R6);
        e.Call(HelperSocketCookie);
        e.Store(Size.Double, R10, CookieAt, R0);
    }

    /// <summary>Turns the header-option callbacks of ctx's socket on or off, keeping its other callback flags.</summary>
    private static void SetCallbacks(BpfEmitter e, bool on)
    {
        e.Load(Size.Word, R2, R6, OpsCallbackFlags);
        if (on) e.OrImm(R2, WriteHeaderOptionFlag);
        else e.AndImm(R2, ~WriteHeaderOptionFlag);
        e.MovReg(R1, R6);
        e.Call(HelperSetCallbackFlags);
    }
}
