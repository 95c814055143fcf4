using AppSwitch.Common.Net;
using System.Net;
using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.L7;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// connect(fd, addr, len): AF_INET/AF_INET6 destinations are resolved by the service table and connected on a
/// node socket that then replaces the application's fd; everything else is left to the kernel.
/// </summary>
/// <param name="translations">With the socket lock: a UDP socket connected to a virtual ip:port gets its answers shown
/// as from that address in recvfrom/recvmsg too (the lock's recvmsg programs), as an unconnected one does.</param>
internal sealed class ConnectHandler(ServiceTable table, IConnectRouter router, NodeSocketFactory sockets, HttpRelay relay,
    PendingConnects pending, HeldConnects held, DatagramTranslations? translations, ClientMarker clients, DatagramClientMarker datagramClients, ILogger<ConnectHandler> logger)
{
    public void Handle(SyscallContext call)
    {
        var fd = call.FdArg(0);
        // The kernel's order of checks: the fd (EBADF), then the address (EFAULT, EINVAL), then the socket (ENOTSOCK).
        if (!call.TryBorrowFd(fd, out var original)) return;
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var length = AddressArgument.Read(call, 1, 2, raw);
        if (length.IsError) { call.Fail(length.Error); return; }
        raw = raw[..(int)length.Value];
        if (!SocketCalls.TryGetKind(original, out var kind)) { call.Fail(Errno.ENOTSOCK); return; }
        var appFd = call.DescribeFd(fd, original);
        // A node socket already: bound by the agent, or a UDP socket the agent connected (UDP may connect again).
        var isNodeSocket = table.FindSocket(appFd.Inode) is not null || table.Peers.Find(appFd.Inode) is not null;

        var family = SockAddr.Family(raw);
        if (family is not (AF.INET or AF.INET6) || kind.Domain is not (AF.INET or AF.INET6))
        {
            // AF_UNIX, AF_UNSPEC (UDP disconnect) …: on a socket of the app's own namespace the kernel may run it;
            // on a node socket we run it ourselves with the bytes we checked (no time-of-check/time-of-use gap).
            if (!isNodeSocket) call.Continue();
            else call.Answer(SocketCalls.ConnectRaw(original, raw));
            return;
        }
        if (family != kind.Domain && FamilyMismatch(original, kind, raw.Length) is var mismatch and not Errno.None)
        {
            call.Fail(mismatch);
            return;
        }
        if (!SockAddr.TryDecode(raw, out var destination))
        {
            call.Fail(Errno.EINVAL);
            return;
        }
        var address = IpAddresses.Normalize(destination.Address);
        var transport = kind.Type == SOCK.DGRAM ? Transport.Udp : Transport.Tcp;
        // An app sharing the node's network asks the node's nameservers (its resolv.conf is the node's): the agent's
        // DNS answers instead, and the answers show the nameserver's address (glibc drops answers from any other).
        var nameserver = kind.Type is SOCK.STREAM or SOCK.DGRAM && call.Session.SharesNodeNamespace(call.Tid)
            ? router.RouteNodeNameserver(destination, transport)
            : null;
        if (IPAddress.IsLoopback(address) && !isNodeSocket && nameserver is null)
        {
            // The app's private loopback, unless this is a node socket the table has no record of (connected to a
            // non-virtual address, accepted, dissolved with AF_UNSPEC): that one would reach the node's loopback.
            if (!NodeSockets.IsNodeSocket(call, original)) { call.Continue(); return; }
            isNodeSocket = true;
        }
        if (kind.Type is not (SOCK.STREAM or SOCK.DGRAM))
        {
            call.Continue(); // raw and other sockets reach only the app's empty namespace
            return;
        }
        if (transport == Transport.Tcp && SocketCalls.TcpState(original) is { } state && state != SocketCalls.TcpStateClose)
        {
            if (call.Recovering && state is SocketCalls.TcpStateEstablished or SocketCalls.TcpStateSynSent)
            {
                // The previous agent swapped the node socket in but died before answering.
                if (state == SocketCalls.TcpStateEstablished) call.Succeed(); else call.Fail(Errno.EINPROGRESS);
                return;
            }
            // Connecting, connected or listening already (hiredis calls connect again to learn the outcome of
            // a non-blocking one): the kernel's answer on that very socket — EALREADY, EISCONN — is the right one.
            call.Answer(SocketCalls.ConnectRaw(original, raw));
            return;
        }

        var resolved = nameserver ?? router.Route(call.Session.App, destination, transport);
        if (resolved is not null && NodeSockets.ReachesNodeLoopback(call, destination, resolved)) resolved = null;
        if (resolved is null)
        {
            logger.LogDebug("App {AppId}: connect to {Destination}/{Transport} refused", call.Session.App.Id, destination, transport);
            call.Fail(Errno.ECONNREFUSED); // every refusal looks like a closed port
            return;
        }
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: connect {Destination} -> {Target}", call.Session.App.Id, destination, resolved.EndPoint);

        var virtualPeer = VirtualPeer(destination, resolved);
        if (isNodeSocket)
            ConnectExisting(call, original, kind, resolved, appFd.NonBlocking, virtualPeer);
        else
            ConnectNew(call, fd, original, kind, resolved, appFd, new Destination(destination, transport, virtualPeer));
    }

    /// <summary>The virtual ip:port the app dialled, when it is not where the node socket connects (null: the same).</summary>
    private static IPEndPoint? VirtualPeer(IPEndPoint destination, ConnectTarget resolved) =>
        resolved.EndPoint.Equals(destination) ? null : new IPEndPoint(IpAddresses.Normalize(destination.Address), destination.Port);

    /// <summary>What the app asked for: enough to decide its connect again after a hold.</summary>
    private readonly record struct Destination(IPEndPoint EndPoint, Transport Transport, IPEndPoint? VirtualPeer);

    /// <summary>The app's socket is already a node socket (bound earlier): connect it in place.</summary>
    private void ConnectExisting(SyscallContext call, int original, SocketCalls.Kind kind, ConnectTarget resolved, bool appNonBlocking,
        IPEndPoint? virtualPeer)
    {
        var target = resolved.EndPoint;
        if (virtualPeer is not null)
            table.Peers.Record(SocketCalls.Inode(original), call.Session.App, virtualPeer, Followed(call, call.FdArg(0), kind, target));
        RecordDatagramPeer(call.Session.App, original, kind, virtualPeer, target);
        if (resolved.Relay is { } handoff && !ExpectAtRelay(call, original, kind, handoff)) return;
        clients.Mark(original, kind, call.Session.App, resolved);
        if (appNonBlocking) { call.Answer(SocketCalls.Connect(original, target, kind.Domain)); return; }
        SocketCalls.SetNonBlocking(original, true);
        var rc = SocketCalls.Connect(original, target, kind.Domain);
        if (rc.Error != Errno.EINPROGRESS)
        {
            SocketCalls.SetNonBlocking(original, false);
            call.Answer(rc);
            return;
        }
        // The borrowed fd closes with the call: the pending connect waits on a duplicate of its own.
        var duplicate = FileCalls.Duplicate(original);
        if (duplicate.IsError) { SocketCalls.SetNonBlocking(original, false); call.Fail(duplicate.Error); return; }
        pending.Add(new PendingConnect
        {
            Session = call.Session, Listener = call.Listener, NotificationId = call.Id, NodeFd = duplicate.Fd, TargetFd = -1,
            Notification = call.Notification,
        });
    }

    /// <summary>
    /// The app's own socket (in its empty namespace): a node socket like it is connected and put in its place.
    /// What only the app's next trapped call needs (its peer's record, the spare socket for the next connect) is
    /// done after the answer: this thread serves that next call, and the app runs meanwhile.
    /// The node socket is the agent's on every path (ADDFD gives the app a copy) but the one that hands it to a
    /// pending connect.
    /// </summary>
    private void ConnectNew(SyscallContext call, int fd, int original, SocketCalls.Kind kind, ConnectTarget resolved,
        ProcessAccess.FdInfo appFd, Destination destination)
    {
        using var nodeSocket = OwnedFd.From(sockets.CreateLike(original, kind, call.Session.Spare), out var createError);
        if (nodeSocket is null) { call.Fail(createError); return; }
        if (ConnectNodeSocket(call, fd, nodeSocket, kind, resolved, appFd, destination))
            sockets.RefillSpare(call.Session.Spare, kind); // the session thread's: never after a hold
    }

    /// <summary>
    /// A connect held until the cluster's table is here, decided again: with the table as it is now (synced, or the
    /// wait given up), it connects like any other or gets the refusal it would have got.
    /// </summary>
    private void ResumeHeld(SyscallContext call, OwnedFd nodeSocket, int fd, SocketCalls.Kind kind, ProcessAccess.FdInfo appFd, Destination asked)
    {
        var resolved = router.Route(call.Session.App, asked.EndPoint, asked.Transport);
        if (resolved is not null && NodeSockets.ReachesNodeLoopback(call, asked.EndPoint, resolved)) resolved = null;
        if (resolved is null)
        {
            logger.LogDebug("App {AppId}: held connect to {Destination}/{Transport} refused", call.Session.App.Id, asked.EndPoint, asked.Transport);
            call.Fail(Errno.ECONNREFUSED);
            return;
        }
        logger.LogDebug("App {AppId}: held connect {Destination} -> {Target}", call.Session.App.Id, asked.EndPoint, resolved.EndPoint);
        ConnectNodeSocket(call, fd, nodeSocket, kind, resolved with { UntilClusterSynced = false }, appFd,
            asked with { VirtualPeer = VirtualPeer(asked.EndPoint, resolved) });
    }

    /// <summary>Connects a fresh node socket and answers the call (or hands it to a pending or held connect); true when
    /// the socket was installed in the app now.</summary>
    private bool ConnectNodeSocket(SyscallContext call, int fd, OwnedFd nodeSocket, SocketCalls.Kind kind, ConnectTarget resolved,
        ProcessAccess.FdInfo appFd, Destination destination)
    {
        var target = resolved.EndPoint;
        var appNonBlocking = appFd.NonBlocking;
        var virtualPeer = destination.VirtualPeer;
        var nodeFd = nodeSocket.Fd;
        if (resolved.Source is { } source && SocketCalls.Bind(nodeFd, new IPEndPoint(source, 0), kind.Domain) is { IsError: true } bound)
        {
            // A vservice's --source-ip that is not (or no longer) a local address: the app gets bind's errno.
            logger.LogDebug("App {AppId}: cannot bind the node socket to source {Source}: {Errno}", call.Session.App.Id, source, bound.Error);
            call.Fail(bound.Error);
            return false;
        }
        if (resolved.Relay is { } handoff && !ExpectAtRelay(call, nodeFd, kind, handoff)) return false;
        clients.Mark(nodeFd, kind, call.Session.App, resolved);
        var rc = SocketCalls.Connect(nodeFd, target, kind.Domain);
        if (rc.Error == Errno.ENETUNREACH && resolved.UntilClusterSynced)
        {
            // Not on the node's network, and this node does not know the cluster's virtual IPs yet (restarted agent).
            held.Hold(call, nodeSocket, (c, socket) => ResumeHeld(c, socket, fd, kind, appFd, destination));
            return false;
        }
        // Connections on a node's own network usually finish inside connect(); a blocking app's that does not is
        // finished asynchronously (the session never waits on the network).
        if (rc.Error == Errno.EINPROGRESS && !appNonBlocking)
        {
            rc = SocketCalls.ConnectOutcomeNow(nodeFd);
            if (rc.Error == Errno.EINPROGRESS)
            {
                // Recorded before the wait: the sweeper drops it with the socket if the connect fails.
                if (virtualPeer is not null) table.Peers.Record(SocketCalls.Inode(nodeFd), call.Session.App, virtualPeer, Followed(call, fd, kind, target));
                pending.Add(new PendingConnect
                {
                    Session = call.Session, Listener = call.Listener, NotificationId = call.Id, NodeFd = nodeSocket.Release(),
                    TargetFd = fd, CloseOnExec = appFd.CloseOnExec, Notification = call.Notification,
                });
                return false;
            }
        }
        if (rc.IsError && rc.Error != Errno.EINPROGRESS) // a non-blocking app's connect in progress is its answer
        {
            ForgetAtRelay(resolved, nodeFd);
            call.Fail(rc.Error);
            return false;
        }
        if (!appNonBlocking) SocketCalls.MakeFreshSocketBlocking(nodeFd); // as the app's was
        RecordDatagramPeer(call.Session.App, nodeFd, kind, virtualPeer, target); // before the app can send, so before any answer
        // Not an installer thread doing the ADDFD while this one connects: tried, slower (112-128 vs 94-106 µs per
        // connect; NOTES, "Data-path benchmark and the connect path's cost").
        var installed = call.Install(nodeFd, fd, appFd.CloseOnExec);
        if (installed.IsError)
        {
            if (installed.Error != Errno.ENOENT) call.Fail(installed.Error); // ENOENT: the call was interrupted, nobody to answer
            return false;
        }
        call.Answer(rc);
        // A non-blocking connect still in progress that fails is swept with its socket like any closed one.
        if (virtualPeer is not null) table.Peers.Record(SocketCalls.Inode(nodeFd), call.Session.App, virtualPeer, Followed(call, fd, kind, target));
        return true;
    }

    /// <summary>
    /// A UDP node socket connected in place of a virtual ip:port: answers show that address as their source, and a
    /// server of this node sees the app's VIP as the sender (<see cref="DatagramClientMarker"/>).
    /// </summary>
    private void RecordDatagramPeer(AppEntry app, int nodeFd, SocketCalls.Kind kind, IPEndPoint? virtualPeer, IPEndPoint target)
    {
        if (translations is null || virtualPeer is null || kind.Type != SOCK.DGRAM) return;
        if (translations.Record(DatagramTranslations.CookieOf(nodeFd), virtualPeer, target))
            datagramClients.Mark(nodeFd, kind, app, target);
    }

    /// <summary>What the follower needs to find this socket again and move it when its instance leaves (agent/Following).</summary>
    private static PeerTarget Followed(SyscallContext call, int fd, SocketCalls.Kind kind, IPEndPoint target) =>
        new(target, kind.Type == SOCK.DGRAM ? Transport.Udp : Transport.Tcp, call.Tid, fd);

    private void ForgetAtRelay(ConnectTarget resolved, int nodeFd)
    {
        if (resolved.Relay is not null && SocketCalls.LocalEndPoint(nodeFd) is { } local) relay.Forget(local);
    }

    /// <summary>
    /// Tells the HTTP relay which route the connection from this node socket is for: the socket gets its local
    /// address now (the node address, unless bound already) so the relay can recognise it on accept.
    /// False (the call answered) when the socket cannot be bound.
    /// </summary>
    private bool ExpectAtRelay(SyscallContext call, int nodeFd, SocketCalls.Kind kind, HttpRelayHandoff handoff)
    {
        var local = SocketCalls.LocalEndPoint(nodeFd);
        if (local is null || local.Port == 0)
        {
            if (SocketCalls.Bind(nodeFd, new IPEndPoint(table.Node.Address, 0), kind.Domain) is { IsError: true } bound)
            {
                logger.LogDebug("App {AppId}: cannot bind the node socket for the HTTP relay: {Errno}", call.Session.App.Id, bound.Error);
                call.Fail(bound.Error);
                return false;
            }
            local = SocketCalls.LocalEndPoint(nodeFd);
        }
        if (local is null) { call.Fail(Errno.EINVAL); return false; }
        relay.Expect(local, handoff);
        return true;
    }

    /// <summary>
    /// The kernel's answer to an address of the other family, or <see cref="Errno.None"/> where it goes ahead: an AF_INET6 UDP socket
    /// (not v6-only) connects to an AF_INET address as v4-mapped; an AF_INET6 TCP socket wants at least the
    /// RFC 2133 length (EINVAL) and then its own family (EAFNOSUPPORT); an AF_INET socket wants AF_INET.
    /// </summary>
    private static Errno FamilyMismatch(int original, SocketCalls.Kind kind, int length)
    {
        if (kind.Domain != AF.INET6) return Errno.EAFNOSUPPORT;
        if (kind.Type == SOCK.DGRAM)
            return SocketCalls.TryGetInt(original, IPPROTO.IPV6, IPV6.V6ONLY, out var v6Only) && v6Only != 0
                ? Errno.EAFNOSUPPORT
                : Errno.None;
        return kind.Type == SOCK.STREAM && length < 24 ? Errno.EINVAL : Errno.EAFNOSUPPORT;
    }
}
