using System.Buffers.Binary;
using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// What the agent decided for unconnected UDP sends of its node sockets, in a BPF map the socket lock's programs
/// read: per socket (its cookie), a virtual ip:port the app sends to → the node endpoint the agent chose (the
/// sendmsg programs rewrite the destination, so the kernel sends the app's datagrams without the agent), and that
/// endpoint → the virtual ip:port (the recvmsg programs show the answer as coming from where the app sent it).
/// Entries are decided once per (socket, destination), like a connect; the LRU map forgets those of closed sockets.
/// </summary>
public sealed class DatagramTranslations : IDisposable
{
    /// <summary>The key's last word: which way the entry translates.</summary>
    internal const int Forward = 1, Reverse = 2;
    /// <summary>The cookie word of entries for every socket (no socket has cookie 0): AppSwitch clients' addresses.</summary>
    internal const int AnySocket = 0;
    /// <summary>Key: as the peers map's (cookie 8, address as IPv6 16, port word 4) and the direction (4). Value: address 16, port word 4.</summary>
    internal const int KeySize = 32, ValueSize = 20;
    private const int SoCookie = 57; // SO_COOKIE

    private readonly int _mapFd;

    internal DatagramTranslations(int mapFd) => _mapFd = mapFd;

    /// <summary>The map itself, for programs that write client entries in the kernel (ClientAddress's datagram marker).</summary>
    internal int MapFd => _mapFd;

    /// <summary>The kernel's cookie of a socket (what bpf_get_socket_cookie gives its programs); 0 when unknown.</summary>
    internal static ulong CookieOf(int socketFd)
    {
        Span<byte> value = stackalloc byte[8];
        return SocketCalls.GetRaw(socketFd, SOL.SOCKET, SoCookie, value) is { IsError: false, Value: 8 }
            ? BinaryPrimitives.ReadUInt64LittleEndian(value) : 0;
    }

    /// <summary>True when the agent has decided where this socket's datagrams to <paramref name="destination"/> go.</summary>
    internal bool IsDecided(ulong cookie, IPEndPoint destination)
    {
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> value = stackalloc byte[ValueSize];
        WriteKey(key, cookie, destination, Forward);
        return !Bpf.LookupElement(_mapFd, key, value).IsError;
    }

    /// <summary>Datagrams of this socket to <paramref name="destination"/> go to <paramref name="target"/>, and come back from it as from the destination.</summary>
    internal bool Record(ulong cookie, IPEndPoint destination, IPEndPoint target)
    {
        Span<byte> key = stackalloc byte[KeySize];
        Span<byte> value = stackalloc byte[ValueSize];
        // The reverse entry first: an answer must never arrive before the app can recognise it.
        WriteKey(key, cookie, target, Reverse);
        WriteValue(value, destination);
        if (Bpf.UpdateElement(_mapFd, key, value).IsError) return false;
        WriteKey(key, cookie, destination, Forward);
        WriteValue(value, target);
        return !Bpf.UpdateElement(_mapFd, key, value).IsError;
    }

    /// <summary>
    /// An AppSwitch client's node socket at <paramref name="nodeEndPoint"/> is its app's <paramref name="virtualEndPoint"/>
    /// for every socket of this node's apps: datagrams from it are shown as from the virtual ip:port, and answers to that
    /// virtual ip:port reach it (from sockets that heard from it). Entries of the pseudo-cookie <see cref="AnySocket"/>.
    /// </summary>
    internal bool RecordClient(IPEndPoint nodeEndPoint, IPEndPoint virtualEndPoint) =>
        Record(AnySocket, virtualEndPoint, nodeEndPoint);

    /// <summary>True when <paramref name="destination"/> is an AppSwitch client's virtual ip:port known at this node.</summary>
    internal bool IsClient(IPEndPoint destination) => IsDecided(AnySocket, destination);

    public void Dispose() => Libc.Close(_mapFd);

    private static void WriteKey(Span<byte> key, ulong cookie, IPEndPoint endPoint, int direction)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(key, cookie);
        WriteValue(key[8..28], endPoint);
        BinaryPrimitives.WriteInt32LittleEndian(key[28..], direction);
    }

    /// <summary>The address as IPv6 (IPv4 as ::ffff:a.b.c.d, as a dual-stack socket's hooks see it) and the port word as ctx->user_port holds it.</summary>
    private static void WriteValue(Span<byte> value, IPEndPoint endPoint)
    {
        var address = IpAddresses.Normalize(endPoint.Address);
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        v6.TryWriteBytes(value[..16], out _);
        BinaryPrimitives.WriteUInt16BigEndian(value[16..], (ushort)endPoint.Port);
        value[18] = 0;
        value[19] = 0;
    }
}
