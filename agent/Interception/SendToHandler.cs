using AppSwitch.Common.Net;
using System.Buffers;
using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// sendto(fd, buf, len, flags, addr, addrlen) with a destination (the filter traps no other). A socket of the app's
/// own namespace reaches only that namespace: the kernel runs the call. On a UDP node socket the destination is
/// decided like a connect's (<see cref="IConnectRouter.Route"/>) and the agent sends the datagram itself, to
/// the target it chose, with the bytes it copied: the app cannot change them between the check and the send. An app
/// sharing the node's namespace (--new-netns=false) has only node sockets: its sendto is decided and sent the same way
/// (the socket lock would refuse the kernel running it on a socket the agent made).
/// </summary>
internal sealed class SendToHandler(IConnectRouter router, ILogger<SendToHandler> logger)
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
            || kind.Type is not (SOCK.STREAM or SOCK.DGRAM)
            || !(NodeSockets.IsNodeSocket(call, original) || call.Session.SharesNodeNamespace(call.Tid)))
        {
            call.Continue(); // not a socket, not IP, or the app's own: the kernel's answer, within the app's namespace
            return;
        }
        var flags = (int)call.Arg(3);
        if (kind.Type == SOCK.STREAM)
        {
            // TCP ignores the address, except for a Fast Open connect, which would connect the node socket past the agent.
            if ((flags & MSG.FASTOPEN) != 0) call.Fail(Errno.EOPNOTSUPP);
            else call.Continue();
            return;
        }
        SendDatagram(call, fd, original, kind, flags);
    }

    private void SendDatagram(SyscallContext call, int fd, int original, SocketCalls.Kind kind, int flags)
    {
        // The kernel's order of checks: the address is copied in (EINVAL, EFAULT), then udp_sendmsg checks the length,
        // MSG_OOB and the address; the data is read last.
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var addressLength = AddressArgument.Read(call, 4, 5, raw);
        if (addressLength.IsError) { call.Fail(addressLength.Error); return; }
        raw = raw[..(int)addressLength.Value];
        var length = (long)call.Arg(2);
        if (length > MaxDatagram) { call.Fail(Errno.EMSGSIZE); return; }
        if ((flags & MSG.OOB) != 0) { call.Fail(Errno.EOPNOTSUPP); return; }
        if (AddressError(original, kind, raw) is var error and not Errno.None) { call.Fail(error); return; }
        if (!SockAddr.TryDecode(raw, out var destination)) { call.Fail(Errno.EINVAL); return; }

        // An app sharing the node's namespace owns its loopback (the node's resolver included), as its connects do.
        var resolved = call.Session.SharesNodeNamespace(call.Tid) && IPAddress.IsLoopback(IpAddresses.Normalize(destination.Address))
            ? new ConnectTarget(destination, null)
            : router.Route(call.Session.App, destination, Transport.Udp);
        if (resolved is not null && NodeSockets.ReachesNodeLoopback(call, destination, resolved)) resolved = null;
        if (resolved is null)
        {
            logger.LogDebug("App {AppId}: sendto {Destination} refused", call.Session.App.Id, destination);
            call.Fail(Errno.ECONNREFUSED); // every refusal looks like a closed port
            return;
        }
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: sendto {Destination} -> {Target}", call.Session.App.Id, destination, resolved.EndPoint);

        var data = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var read = call.ReadMemory(call.Arg(1), data.AsSpan(0, (int)length));
            if (read.IsError) { call.Fail(read.Error); return; }
            var sent = Send(call, fd, original, kind, flags, data.AsSpan(0, (int)length), resolved.EndPoint);
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
    private static SysResult Send(SyscallContext call, int fd, int original, SocketCalls.Kind kind, int flags, ReadOnlySpan<byte> data, IPEndPoint target)
    {
        var sent = SocketCalls.SendTo(original, data, flags | MSG.DONTWAIT, target, kind.Domain);
        if (sent.Error != Errno.EAGAIN || (flags & MSG.DONTWAIT) != 0 || call.DescribeFd(fd, original).NonBlocking) return sent;
        return SocketCalls.WaitWritable(original, BlockingWaitMs)
            ? SocketCalls.SendTo(original, data, flags | MSG.DONTWAIT, target, kind.Domain)
            : sent;
    }
}
