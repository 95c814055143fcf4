using AppSwitch.Common.Net;
using System.Buffers;
using System.Net;
using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// sendto(fd, buf, len, flags, addr, addrlen) with a destination (the filter traps no other). The destination is decided
/// like a connect's (<see cref="IConnectRouter.Route"/>: table, labels, rules, egress); a refusal is the connect's errno.
/// <list type="bullet">
/// <item>A UDP socket of the app's own namespace sending anywhere but its loopback (statsd, syslog and DNS clients,
/// musl's resolver) first gets a node socket like it in its place, as a connect would give it.</item>
/// <item>On a node socket, with the socket lock, the decision goes into <see cref="DatagramTranslations"/> once per
/// (socket, destination) and the kernel runs the call: the lock's sendmsg program rewrites the virtual destination
/// to the chosen node endpoint (also for the sendmsg/sendmmsg calls the filter does not see), and its recvmsg
/// program shows answers as coming from the virtual ip:port. The program reads the address the kernel sends to, so
/// an app changing it after the check reaches nothing the agent did not decide (EPERM).</item>
/// <item>Without the lock, or on a socket the app made itself (--new-netns=false), the agent sends the datagram
/// itself, to the target it chose, with the bytes it copied.</item>
/// </list>
/// </summary>
internal sealed class SendToHandler(IConnectRouter router, NodeSocketFactory sockets, DatagramTranslations? translations,
    DatagramClientMarker clients, ILogger<SendToHandler> logger)
{
    /// <summary>The largest UDP payload any IP datagram can carry; more is EMSGSIZE, as the kernel says.</summary>
    private const int MaxDatagram = 65535;
    /// <summary>How long a blocking app's send may wait for room in the socket's buffer (the session waits with it).</summary>
    private const int BlockingWaitMs = 1000;

    public void Handle(SyscallContext call)
    {
        var fd = call.FdArg(0);
        if (!call.TryBorrowFd(fd, out var original)) return;
        if (!SocketCalls.TryGetKind(original, out var kind) || kind.Domain is not (AF.INET or AF.INET6)
            || kind.Type is not (SOCK.STREAM or SOCK.DGRAM))
        {
            call.Continue(); // not a socket, or not IP: the kernel's answer
            return;
        }
        var sharesNodeNamespace = call.Session.SharesNodeNamespace(call.Tid);
        var nodeSocket = NodeSockets.IsNodeSocket(call, original); // false for every socket of an app sharing the node's
        var flags = (int)call.Arg(3);
        if (kind.Type == SOCK.STREAM)
        {
            // TCP ignores the address, except for a Fast Open connect, which would connect the node socket past the agent.
            if ((nodeSocket || sharesNodeNamespace) && (flags & MSG.FASTOPEN) != 0) call.Fail(Errno.EOPNOTSUPP);
            else call.Continue();
            return;
        }
        if (!nodeSocket && !sharesNodeNamespace)
        {
            AdoptOrContinue(call, fd, original, kind, flags, appOwnsLoopback: false);
            return;
        }
        if (sharesNodeNamespace && IsUdp(kind) && IsFresh(original))
        {
            // The app's own socket in the node's namespace: a node socket of the agent's in its place, so that the
            // lock's recvmsg program shows answers from the virtual address too.
            AdoptOrContinue(call, fd, original, kind, flags, appOwnsLoopback: true);
            return;
        }
        SendDatagram(call, fd, original, kind, flags, kernelSends: nodeSocket);
    }

    private static bool IsUdp(SocketCalls.Kind kind) => kind.Protocol is 0 or IPPROTO.UDP; // not ICMP ping sockets

    /// <summary>Neither bound (nor autobound by an earlier send) nor connected: nothing of it is lost in a swap.</summary>
    private static bool IsFresh(int socket) =>
        SocketCalls.LocalEndPoint(socket) is not { Port: not 0 } && SocketCalls.RemoteEndPoint(socket) is null;

    /// <summary>
    /// A socket of the app's own: a valid datagram to a destination outside the app's loopback makes it a node socket
    /// (unless the app bound it to its loopback or connected it); anything else is the kernel's to answer.
    /// </summary>
    private void AdoptOrContinue(SyscallContext call, int fd, int original, SocketCalls.Kind kind, int flags, bool appOwnsLoopback)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        if (!IsUdp(kind) || ReadDestination(call, original, kind, flags, raw, out var destination) != Errno.None
            || IPAddress.IsLoopback(IpAddresses.Normalize(destination.Address)) && !appOwnsLoopback
            || SocketCalls.LocalEndPoint(original) is { } local && IPAddress.IsLoopback(IpAddresses.Normalize(local.Address))
            || SocketCalls.RemoteEndPoint(original) is not null)
        {
            call.Continue();
            return;
        }
        if (Decide(call, destination) is not { } target) return;

        using var adopted = OwnedFd.From(sockets.CreateLike(original, kind), out var createError);
        if (adopted is null) { call.Fail(createError); return; }
        var appFd = call.DescribeFd(fd, original);
        if (!appFd.NonBlocking) SocketCalls.MakeFreshSocketBlocking(adopted.Fd); // as the app's was
        var translated = translations is not null && translations.Record(DatagramTranslations.CookieOf(adopted.Fd), destination, target);
        if (translated) clients.Mark(adopted.Fd, kind, call.Session.App, target);
        var installed = call.Install(adopted.Fd, fd, appFd.CloseOnExec);
        if (installed.IsError)
        {
            if (installed.Error != Errno.ENOENT) call.Fail(installed.Error); // ENOENT: the call was interrupted, nobody to answer
            return;
        }
        logger.LogDebug("App {AppId}: fd {Fd} is a node socket now (sendto {Destination})", call.Session.App.Id, fd, destination);
        // The call goes on with the fd as it is now: the kernel sends on the node socket, the lock's program translates.
        if (translated) call.Continue();
        else SendCopy(call, adopted.Fd, kind, flags, appFd.NonBlocking, target);
    }

    private void SendDatagram(SyscallContext call, int fd, int original, SocketCalls.Kind kind, int flags, bool kernelSends)
    {
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var error = ReadDestination(call, original, kind, flags, raw, out var destination);
        if (error != Errno.None) { call.Fail(error); return; }
        // Decided for this socket before: the lock's program sends it where the agent chose (no decision, no copy).
        var cookie = translations is null ? 0 : DatagramTranslations.CookieOf(original);
        if (kernelSends && cookie != 0 && translations!.IsDecided(cookie, destination)) { call.Continue(); return; }
        // An answer to an AppSwitch client's VIP: the lock's program sends it to the client's node socket if this socket heard from it.
        if (kernelSends && cookie != 0 && translations!.IsClient(destination)) { call.Continue(); return; }

        if (Decide(call, destination) is not { } target) return;
        // On a socket the app made itself the programs do not run: the entry only serves a later adopted socket's answers.
        if (cookie != 0 && translations!.Record(cookie, destination, target) && kernelSends)
        {
            clients.Mark(original, kind, call.Session.App, target);
            call.Continue();
            return;
        }
        SendCopy(call, original, kind, flags, call.DescribeFd(fd, original).NonBlocking, target);
    }

    /// <summary>Where a datagram to <paramref name="destination"/> goes, or null with the call refused as a connect would be.</summary>
    private IPEndPoint? Decide(SyscallContext call, IPEndPoint destination)
    {
        // An app sharing the node's namespace owns its loopback (the node's resolver included), as its connects do.
        var resolved = call.Session.SharesNodeNamespace(call.Tid) && IPAddress.IsLoopback(IpAddresses.Normalize(destination.Address))
            ? new ConnectTarget(destination, null)
            : router.Route(call.Session.App, destination, Transport.Udp);
        if (resolved is not null && NodeSockets.ReachesNodeLoopback(call, destination, resolved)) resolved = null;
        if (resolved is null)
        {
            logger.LogDebug("App {AppId}: sendto {Destination} refused", call.Session.App.Id, destination);
            call.Fail(Errno.ECONNREFUSED); // every refusal looks like a closed port
            return null;
        }
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: sendto {Destination} -> {Target}", call.Session.App.Id, destination, resolved.EndPoint);
        return resolved.EndPoint;
    }

    /// <summary>
    /// The destination argument checked in the kernel's order: the address is copied in (EINVAL, EFAULT), then
    /// udp_sendmsg checks the length, MSG_OOB and the address (the data is read last).
    /// </summary>
    private static Errno ReadDestination(SyscallContext call, int original, SocketCalls.Kind kind, int flags, Span<byte> raw,
        out IPEndPoint destination)
    {
        destination = null!;
        var addressLength = AddressArgument.Read(call, 4, 5, raw);
        if (addressLength.IsError) return addressLength.Error;
        var address = raw[..(int)addressLength.Value];
        if ((long)call.Arg(2) > MaxDatagram) return Errno.EMSGSIZE;
        if ((flags & MSG.OOB) != 0) return Errno.EOPNOTSUPP;
        if (AddressError(original, kind, address) is var error and not Errno.None) return error;
        if (!SockAddr.TryDecode(address, out var decoded)) return Errno.EINVAL;
        destination = decoded;
        return Errno.None;
    }

    /// <summary>Copies the app's datagram and sends it from <paramref name="socket"/> to <paramref name="target"/>; answers the call.</summary>
    private static void SendCopy(SyscallContext call, int socket, SocketCalls.Kind kind, int flags, bool appNonBlocking, IPEndPoint target)
    {
        var length = (int)call.Arg(2);
        var data = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var read = call.ReadMemory(call.Arg(1), data.AsSpan(0, length));
            if (read.IsError) { call.Fail(read.Error); return; }
            var sent = Send(socket, kind, flags, appNonBlocking, data.AsSpan(0, length), target);
            if (sent.IsError) call.Fail(sent.Error); else call.Succeed(sent.Value);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>
    /// udp_sendmsg's and udpv6_sendmsg's answer to the destination's length and family, or none when it is an address the
    /// agent can decide (<see cref="Errno.None"/>). The kernel would also take AF_UNSPEC as AF_INET; the agent answers EAFNOSUPPORT (EINVAL on v6).
    /// </summary>
    private static Errno AddressError(int original, SocketCalls.Kind kind, ReadOnlySpan<byte> raw)
    {
        var family = SockAddr.Family(raw);
        if (kind.Domain == AF.INET)
            return raw.Length < SockAddr.InetSize ? Errno.EINVAL : family != AF.INET ? Errno.EAFNOSUPPORT : Errno.None;
        if (raw.Length < 2) return Errno.EINVAL;
        return family switch
        {
            AF.INET6 => raw.Length < 24 ? Errno.EINVAL : Errno.None,
            AF.INET when raw.Length < SockAddr.InetSize => Errno.EINVAL,
            AF.INET => SocketCalls.TryGetInt(original, IPPROTO.IPV6, IPV6.V6ONLY, out var v6Only) && v6Only != 0
                ? Errno.ENETUNREACH : Errno.None,
            _ => Errno.EINVAL,
        };
    }

    /// <summary>
    /// Sends without ever blocking the session for long: a full buffer is EAGAIN for a non-blocking socket (or
    /// MSG_DONTWAIT), as the app expects; a blocking one waits a little for room first.
    /// </summary>
    private static SysResult Send(int socket, SocketCalls.Kind kind, int flags, bool appNonBlocking, ReadOnlySpan<byte> data, IPEndPoint target)
    {
        var sent = SocketCalls.SendTo(socket, data, flags | MSG.DONTWAIT, target, kind.Domain);
        if (sent.Error != Errno.EAGAIN || (flags & MSG.DONTWAIT) != 0 || appNonBlocking) return sent;
        return SocketCalls.WaitWritable(socket, BlockingWaitMs)
            ? SocketCalls.SendTo(socket, data, flags | MSG.DONTWAIT, target, kind.Domain)
            : sent;
    }
}
