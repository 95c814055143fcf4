using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Following;

/// <summary>
/// Resets one of this node's app TCP connections the way its peer would: an RST "from" the peer's address and port,
/// carrying the socket's own receive sequence (read with TCP_REPAIR on a duplicate of the app's socket), sent through a
/// raw socket of the agent's network namespace to the socket's local address. The kernel takes it as the peer's reset
/// and the app's pending or next call fails with ECONNRESET — what a reset from a live peer gives, unlike SOCK_DESTROY's
/// ECONNABORTED. Aimed only at the socket found by inode: its own local address is the destination, and only when its
/// peer is the instance the agent connected it to. Raw sockets are opened on first use and closed on dispose.
/// </summary>
internal sealed class TcpResetInjector : IDisposable
{
    private static readonly TimeSpan TakenWithin = TimeSpan.FromMilliseconds(500);
    private readonly Dictionary<int, OwnedFd> _raw = [];

    /// <summary>True when the socket is closed by the injected reset; else false with why (the caller falls back).</summary>
    public bool TryReset(PeerConnection connection, out string why)
    {
        using var socket = AppSocketFinder.Find(connection);
        if (socket is null) return Fail("no process of the app holds the socket", out why);
        if (SocketCalls.TcpState(socket.Fd) is var state && state != SocketCalls.TcpStateEstablished)
            return Fail($"the socket is not established (state {state})", out why);
        var local = Unmapped(SocketCalls.LocalEndPoint(socket.Fd));
        var peer = Unmapped(SocketCalls.RemoteEndPoint(socket.Fd));
        if (local is null || peer is null) return Fail("the socket has no local or peer address", out why);
        if (!peer.Equals(Unmapped(connection.Target.Target)))
            return Fail($"its peer is {peer}, not the instance {connection.Target.Target}", out why);

        var sequence = TcpRepair.ReceiveSequence(socket.Fd);
        if (sequence.IsError) return Fail($"TCP_REPAIR: {sequence.Error}", out why);
        var family = local.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? AF.INET6 : AF.INET;
        var raw = RawSocket(family, out var openError);
        if (raw is null) return Fail($"raw socket: {openError}", out why);
        var sent = RawSockets.Send(raw.Fd, ResetPacket.Build(peer, local, (uint)sequence.Value), local.Address, family);
        if (sent.IsError) return Fail($"sending the RST: {sent.Error}", out why);

        // Loopback delivery runs in the sender's softirq, so the socket is closed on return but for a delay under load.
        var deadline = DateTime.UtcNow + TakenWithin;
        for (var wait = 1; SocketCalls.TcpState(socket.Fd) != SocketCalls.TcpStateClose; wait = Math.Min(wait * 2, 50))
        {
            if (DateTime.UtcNow > deadline) return Fail($"the kernel did not take the RST (state {SocketCalls.TcpState(socket.Fd)}: the sequence moved?)", out why);
            Thread.Sleep(wait);
        }
        why = "";
        return true;
    }

    public void Dispose()
    {
        foreach (var fd in _raw.Values) fd.Dispose();
        _raw.Clear();
    }

    private OwnedFd? RawSocket(int family, out Errno error)
    {
        error = Errno.None;
        if (_raw.TryGetValue(family, out var open)) return open;
        var created = OwnedFd.From(RawSockets.OpenHeaderIncluded(family), out error);
        if (created is not null) _raw[family] = created;
        return created;
    }

    private static IPEndPoint? Unmapped(IPEndPoint? endPoint) =>
        endPoint is { Address.IsIPv4MappedToIPv6: true } ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static bool Fail(string reason, out string why)
    {
        why = reason;
        return false;
    }
}
