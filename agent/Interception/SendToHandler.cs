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
internal sealed class SendToHandler(IConnectRouter router, ILogger logger)
{
    /// <summary>The largest UDP payload any IP datagram can carry; more is EMSGSIZE, as the kernel says.</summary>
    private const int MaxDatagram = 65535;
    /// <summary>How long a blocking app's send may wait for room in the socket's buffer (the session waits with it).</summary>
    private const int BlockingWaitMs = 1000;

    public void Handle(SyscallContext call)
    {
        var fd = call.FdArg(0);
        var original = call.BorrowFd(fd);
        if (original < 0) { call.Fail(-original); return; }
        if (!SocketCalls.TryGetKind(original, out var kind) || kind.Domain is not (Libc.AF_INET or Libc.AF_INET6)
            || kind.Type is not (Libc.SOCK_STREAM or Libc.SOCK_DGRAM)
            || !(NodeSockets.IsNodeSocket(call, original) || call.Session.SharesNodeNamespace(call.Tid)))
        {
            call.Continue(); // not a socket, not IP, or the app's own: the kernel's answer, within the app's namespace
            return;
        }
        var flags = (int)call.Arg(3);
        if (kind.Type == Libc.SOCK_STREAM)
        {
            // TCP ignores the address, except for a Fast Open connect, which would connect the node socket past the agent.
            if ((flags & Libc.MSG_FASTOPEN) != 0) call.Fail(Libc.EOPNOTSUPP);
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
        if (addressLength < 0) { call.Fail(-addressLength); return; }
        raw = raw[..addressLength];
        var length = (long)call.Arg(2);
        if (length > MaxDatagram) { call.Fail(Libc.EMSGSIZE); return; }
        if ((flags & Libc.MSG_OOB) != 0) { call.Fail(Libc.EOPNOTSUPP); return; }
        if (AddressError(original, kind, raw) is var error and not 0) { call.Fail(error); return; }
        if (!SockAddr.TryDecode(raw, out var destination)) { call.Fail(Libc.EINVAL); return; }

        // An app sharing the node's namespace owns its loopback (the node's resolver included), as its connects do.
        var resolved = call.Session.SharesNodeNamespace(call.Tid) && IPAddress.IsLoopback(ServiceTable.Normalize(destination.Address))
            ? new ConnectTarget(destination, null)
            : router.Route(call.Session.App, destination, Transport.Udp);
        if (resolved is not null && NodeSockets.ReachesNodeLoopback(call, destination, resolved)) resolved = null;
        if (resolved is null)
        {
            logger.LogDebug("App {AppId}: sendto {Destination} refused", call.Session.App.Id, destination);
            call.Fail(Libc.ECONNREFUSED); // every refusal looks like a closed port
            return;
        }
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: sendto {Destination} -> {Target}", call.Session.App.Id, destination, resolved.EndPoint);

        var data = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var read = call.ReadMemory(call.Arg(1), data.AsSpan(0, (int)length));
            if (read != 0) { call.Fail(read); return; }
            var sent = Send(call, fd, original, kind, flags, data.AsSpan(0, (int)length), resolved.EndPoint);
            if (sent >= 0) call.Succeed(sent); else call.Fail((int)-sent);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>
    /// udp_sendmsg's and udpv6_sendmsg's answer to the destination's length and family, or 0 when it is an address the
    /// agent can decide. The kernel would also take AF_UNSPEC as AF_INET; the agent answers EAFNOSUPPORT (EINVAL on v6).
    /// </summary>
    private static int AddressError(int original, SocketCalls.Kind kind, ReadOnlySpan<byte> raw)
    {
        var family = SockAddr.Family(raw);
        if (kind.Domain == Libc.AF_INET)
            return raw.Length < SockAddr.InetSize ? Libc.EINVAL : family != Libc.AF_INET ? Libc.EAFNOSUPPORT : 0;
        if (raw.Length < 2) return Libc.EINVAL;
        return family switch
        {
            Libc.AF_INET6 => raw.Length < 24 ? Libc.EINVAL : 0,
            Libc.AF_INET when raw.Length < SockAddr.InetSize => Libc.EINVAL,
            Libc.AF_INET => SocketCalls.TryGetInt(original, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, out var v6Only) && v6Only != 0
                ? Libc.ENETUNREACH : 0,
            _ => Libc.EINVAL,
        };
    }

    /// <summary>
    /// Sends without ever blocking the session for long: a full buffer is EAGAIN for a non-blocking socket (or
    /// MSG_DONTWAIT), as the app expects; a blocking one waits a little for room first.
    /// </summary>
    private static long Send(SyscallContext call, int fd, int original, SocketCalls.Kind kind, int flags, ReadOnlySpan<byte> data, IPEndPoint target)
    {
        var sent = SocketCalls.SendTo(original, data, flags | Libc.MSG_DONTWAIT, target, kind.Domain);
        if (sent != -Libc.EAGAIN || (flags & Libc.MSG_DONTWAIT) != 0 || call.DescribeFd(fd, original).NonBlocking) return sent;
        return SocketCalls.WaitWritable(original, BlockingWaitMs)
            ? SocketCalls.SendTo(original, data, flags | Libc.MSG_DONTWAIT, target, kind.Domain)
            : sent;
    }
}
