using System.Buffers;
using System.Buffers.Binary;
using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>
/// Socket lists of the agent's network namespace through NETLINK_SOCK_DIAG, filtered in the kernel: asking
/// for listening TCP sockets costs the same with ten or a hundred thousand connections open, unlike
/// reading /proc/net/tcp.
/// </summary>
internal static unsafe class SockDiag
{
    private const int NetlinkSockDiag = 4, SockDiagByFamily = 20;
    private const ushort NlmFRequest = 1, NlmFDump = 0x300;
    private const ushort NlmsgDone = 3, NlmsgError = 2;
    private const int HeaderSize = 16, RequestSize = 56, InodeOffset = 68;
    private const int ReceiveBufferSize = 32 * 1024;
    public const uint TcpListenStates = 1u << 10, AllStates = 0xFFFFFFFF;

    /// <summary>Inodes of the TCP sockets in LISTEN and of all UDP sockets, IPv4 and IPv6; null when netlink fails.</summary>
    public static HashSet<ulong>? ListeningAndUdpInodes()
    {
        var inodes = new HashSet<ulong>();
        // Rented, not new: the sweeper asks every second, and four fresh 32 KiB arrays a second kept the agent from
        // ever looking quiet to HeapTrimmer (NOTES "appmem"): the garbage stayed resident.
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            foreach (var family in (ReadOnlySpan<int>)[AF.INET, AF.INET6])
            {
                if (!Dump(family, IPPROTO.TCP, TcpListenStates, inodes, buffer)) return null;
                if (!Dump(family, IPPROTO.UDP, AllStates, inodes, buffer)) return null;
            }
            return inodes;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool Dump(int family, int protocol, uint states, HashSet<ulong> inodes, byte[] buffer)
    {
        using var socket = OwnedFd.From(SysResult.FromReturn(LibC.socket(AF.NETLINK, SOCK.DGRAM | SOCK.CLOEXEC, NetlinkSockDiag)), out _);
        if (socket is null) return false;
        var fd = socket.Fd;
        {
            Span<byte> request = stackalloc byte[HeaderSize + RequestSize];
            request.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
            BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest | NlmFDump);
            request[HeaderSize] = (byte)family;
            request[HeaderSize + 1] = (byte)protocol;
            BinaryPrimitives.WriteUInt32LittleEndian(request[(HeaderSize + 4)..], states);
            fixed (byte* p = request)
                if (LibC.write(fd, p, request.Length) != request.Length) return false;

            while (true)
            {
                long n;
                fixed (byte* p = buffer) n = LibC.read(fd, p, buffer.Length);
                if (n <= 0) return false;
                var offset = 0;
                while (offset + HeaderSize <= n)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                    var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 4));
                    if (length < HeaderSize || offset + length > n) return false;
                    if (type == NlmsgDone) return true;
                    if (type == NlmsgError) return false;
                    if (length >= HeaderSize + InodeOffset + 4)
                        inodes.Add(BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + HeaderSize + InodeOffset)));
                    offset += (length + 3) & ~3;
                }
            }
        }
    }
}
