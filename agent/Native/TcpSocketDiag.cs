using System.Buffers.Binary;
using System.Net;

namespace AppSwitch.Agent.Native;

/// <summary>
/// The TCP connections of the agent's network namespace through NETLINK_SOCK_DIAG, and SOCK_DESTROY of one of them
/// (CONFIG_INET_DIAG_DESTROY, CAP_NET_ADMIN): the kernel aborts the socket, sends its peer a reset and its owner's
/// next or pending call fails with ECONNABORTED. No fd of the socket is needed: the app keeps its own.
/// </summary>
internal static unsafe class TcpSocketDiag
{
    /// <summary>One connection as sock_diag listed it: its inode, remote address and the kernel's id of it (48 bytes).</summary>
    public sealed record Connection(ulong Inode, int Family, IPAddress Remote, byte[] Id);

    private const int NetlinkSockDiag = 4, SockDiagByFamily = 20, SockDestroy = 21;
    private const ushort NlmFRequest = 1, NlmFAck = 4, NlmFDump = 0x300;
    private const ushort NlmsgDone = 3, NlmsgError = 2;
    private const int HeaderSize = 16, RequestSize = 56, IdOffset = 8, IdSize = 48, InodeOffset = 68;
    private const int DestinationOffset = 20; // in the id (inet_diag_sockid): sport, dport, src[16], dst[16], if, cookie
    private const Errno NetlinkFailed = (Errno)5; // EIO: the netlink exchange itself failed (Errno lists only what handlers answer)
    private const uint AllButListen = 0xFFFFFFFF & ~(1u << 10);

    /// <summary>Every TCP socket of <paramref name="family"/> not listening; null when netlink fails.</summary>
    public static List<Connection>? Connections(int family)
    {
        using var socket = Open();
        if (socket is null) return null;
        Span<byte> request = stackalloc byte[HeaderSize + RequestSize];
        Request(request, SockDiagByFamily, NlmFRequest | NlmFDump, family, AllButListen, default);
        if (!Send(socket.Fd, request)) return null;
        var connections = new List<Connection>();
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var n = Receive(socket.Fd, buffer);
            if (n <= 0) return null;
            for (var offset = 0; offset + HeaderSize <= n;)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 4));
                if (length < HeaderSize || offset + length > n) return null;
                if (type == NlmsgDone) return connections;
                if (type == NlmsgError) return null;
                if (length >= HeaderSize + InodeOffset + 4)
                {
                    var message = buffer.AsSpan(offset + HeaderSize);
                    var id = message.Slice(4, IdSize).ToArray();
                    var remote = family == AF.INET
                        ? new IPAddress(id.AsSpan(DestinationOffset, 4))
                        : new IPAddress(id.AsSpan(DestinationOffset, 16));
                    connections.Add(new Connection(BinaryPrimitives.ReadUInt32LittleEndian(message[InodeOffset..]), family, remote, id));
                }
                offset += (length + 3) & ~3;
            }
        }
    }

    /// <summary>Aborts the connection (SOCK_DESTROY): <see cref="Errno.None"/>, or why not (ENOENT: already gone).</summary>
    public static Errno Destroy(Connection connection)
    {
        using var socket = Open();
        if (socket is null) return NetlinkFailed;
        Span<byte> request = stackalloc byte[HeaderSize + RequestSize];
        Request(request, SockDestroy, NlmFRequest | NlmFAck, connection.Family, 0xFFFFFFFF, connection.Id);
        if (!Send(socket.Fd, request)) return NetlinkFailed;
        var buffer = new byte[4096];
        var n = Receive(socket.Fd, buffer);
        if (n < HeaderSize + 4 || BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(4)) != NlmsgError) return NetlinkFailed;
        return (Errno)(-BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(HeaderSize)));
    }

    private static OwnedFd? Open() =>
        OwnedFd.From(SysResult.FromReturn(Tmds.Linux.LibC.socket(AF.NETLINK, SOCK.DGRAM | SOCK.CLOEXEC, NetlinkSockDiag)), out _);

    /// <summary>nlmsghdr + inet_diag_req_v2 for TCP.</summary>
    private static void Request(Span<byte> request, ushort type, ushort flags, int family, uint states, ReadOnlySpan<byte> id)
    {
        request.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], flags);
        request[HeaderSize] = (byte)family;
        request[HeaderSize + 1] = (byte)IPPROTO.TCP;
        BinaryPrimitives.WriteUInt32LittleEndian(request[(HeaderSize + 4)..], states);
        id.CopyTo(request[(HeaderSize + IdOffset)..]);
    }

    private static bool Send(int fd, ReadOnlySpan<byte> request)
    {
        fixed (byte* p = request) return Tmds.Linux.LibC.write(fd, p, request.Length) == request.Length;
    }

    private static int Receive(int fd, byte[] buffer)
    {
        fixed (byte* p = buffer) return (int)Tmds.Linux.LibC.read(fd, p, buffer.Length);
    }
}
