using AppSwitch.Common.Net;
using System.Net;
using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// A trapped send that carries a destination — sendto's address argument, or a sendmsg/sendmmsg msg_name — decided like
/// a connect (<see cref="IConnectRouter.Route"/>: table, labels, rules, egress; a refusal is the connect's errno). The
/// handlers read the destination; this is the adoption and decision path they share.
/// <list type="bullet">
/// <item>A UDP socket of the app's own namespace sending anywhere but its loopback (statsd, syslog and DNS clients,
/// musl's resolver, Node.js dgram) first gets a node socket like it in its place, as a connect would give it.</item>
/// <item>On a node socket, with the socket lock, the decision goes into <see cref="DatagramTranslations"/> once per
/// (socket, destination) and the kernel runs the call: the lock's sendmsg program rewrites the virtual destination
/// to the chosen node endpoint, and its recvmsg program shows answers as coming from the virtual ip:port. The program
/// reads the address the kernel sends to, so an app changing it after the check reaches nothing the agent did not
/// decide (EPERM).</item>
/// <item>Without the lock, or on a socket the app made itself (--new-netns=false), only sendto's datagram can be sent
/// by the agent (<see cref="Step.Copy"/>); a sendmsg is left to the kernel there, as if it were not trapped.</item>
/// </list>
/// </summary>
internal sealed class AddressedSend(IConnectRouter router, NodeSocketFactory sockets, DatagramTranslations? translations,
    DatagramClientMarker clients, ILogger<AddressedSend> logger)
{
    /// <summary>The largest UDP payload any IP datagram can carry; more is EMSGSIZE, as the kernel says.</summary>
    public const int MaxDatagram = 65535;

    /// <summary>What the call needs after one destination was looked at.</summary>
    public enum Step
    {
        /// <summary>The kernel may run it (for this destination).</summary>
        Continue,
        /// <summary>The call was answered (an errno): look at nothing more.</summary>
        Answered,
        /// <summary>The agent sends the datagram itself from <see cref="Sender.Socket"/> to the target (sendto only).</summary>
        Copy,
    }

    /// <summary>The caller's socket while one trapped send is handled; an adopted node socket replaces it for the rest of the call.</summary>
    public sealed class Sender : IDisposable
    {
        private OwnedFd? _adopted;

        public required int Fd { get; init; }
        /// <summary>Our descriptor of it: the borrowed duplicate, or the node socket that took its place.</summary>
        public required int Socket { get; set; }
        public required SocketCalls.Kind Kind { get; init; }
        public required int Flags { get; init; }
        public required bool SharesNodeNamespace { get; init; }
        /// <summary>The lock's programs run for it: the kernel sends where the agent decided.</summary>
        public required bool NodeSocket { get; set; }
        public bool NonBlocking { get; set; }

        public void Adopted(OwnedFd adopted, bool nonBlocking)
        {
            _adopted = adopted;
            Socket = adopted.Fd;
            NodeSocket = true;
            NonBlocking = nonBlocking;
        }

        public void Dispose() => _adopted?.Dispose();
    }

    /// <summary>
    /// Borrows the caller's socket; null when the call is answered already (not an IP socket: the kernel's answer; TCP, which
    /// ignores the address except for a Fast Open connect, which would connect a node socket past the agent).
    /// </summary>
    public Sender? Open(SyscallContext call, int fd, int flags)
    {
        if (!call.TryBorrowFd(fd, out var original)) return null;
        if (!SocketCalls.TryGetKind(original, out var kind) || kind.Domain is not (AF.INET or AF.INET6)
            || kind.Type is not (SOCK.STREAM or SOCK.DGRAM))
        {
            call.Continue();
            return null;
        }
        var sharesNodeNamespace = call.Session.SharesNodeNamespace(call.Tid);
        var nodeSocket = NodeSockets.IsNodeSocket(call, original); // false for every socket of an app sharing the node's
        if (kind.Type == SOCK.STREAM)
        {
            if ((nodeSocket || sharesNodeNamespace) && (flags & MSG.FASTOPEN) != 0) call.Fail(Errno.EOPNOTSUPP);
            else call.Continue();
            return null;
        }
        return new Sender
        {
            Fd = fd, Socket = original, Kind = kind, Flags = flags, SharesNodeNamespace = sharesNodeNamespace, NodeSocket = nodeSocket,
        };
    }

    /// <summary>
    /// Looks at one destination of the call: adopts a fresh socket of the app's, decides, records. <paramref name="readError"/>
    /// is the error copying the address in gave (EINVAL, EFAULT); <paramref name="dataLength"/> the datagram's length when the
    /// agent checks it (sendto); <paramref name="canCopy"/>: the agent could send the datagram itself.
    /// </summary>
    public Step Decide(SyscallContext call, Sender sender, Errno readError, ReadOnlySpan<byte> address, long? dataLength, bool canCopy,
        out IPEndPoint? target)
    {
        target = null;
        var destination = (IPEndPoint)null!;
        var error = readError != Errno.None ? readError : Check(sender, address, dataLength, out destination);
        if (!sender.NodeSocket && !sender.SharesNodeNamespace)
            return AdoptOrContinue(call, sender, error, destination, canCopy, appOwnsLoopback: false, out target);
        if (sender.SharesNodeNamespace && !sender.NodeSocket && IsUdp(sender.Kind) && IsFresh(sender.Socket))
        {
            // The app's own socket in the node's namespace: a node socket of the agent's in its place, so that the
            // lock's recvmsg program shows answers from the virtual address too.
            return AdoptOrContinue(call, sender, error, destination, canCopy, appOwnsLoopback: true, out target);
        }
        if (error != Errno.None) { call.Fail(error); return Step.Answered; }
        return DecideOnNodeSocket(call, sender, destination, canCopy, out target);
    }

    private static bool IsUdp(SocketCalls.Kind kind) => kind.Protocol is 0 or IPPROTO.UDP; // not ICMP ping sockets

    /// <summary>Neither bound (nor autobound by an earlier send) nor connected: nothing of it is lost in a swap.</summary>
    private static bool IsFresh(int socket) =>
        SocketCalls.LocalEndPoint(socket) is not { Port: not 0 } && SocketCalls.RemoteEndPoint(socket) is null;

    /// <summary>
    /// A socket of the app's own: a valid datagram to a destination outside the app's loopback makes it a node socket
    /// (unless the app bound it to its loopback or connected it); anything else is the kernel's to answer.
    /// </summary>
    private Step AdoptOrContinue(SyscallContext call, Sender sender, Errno error, IPEndPoint destination, bool canCopy,
        bool appOwnsLoopback, out IPEndPoint? target)
    {
        target = null;
        var original = sender.Socket;
        if (!IsUdp(sender.Kind) || error != Errno.None
            || IPAddress.IsLoopback(IpAddresses.Normalize(destination.Address)) && !appOwnsLoopback
            || SocketCalls.LocalEndPoint(original) is { } local && IPAddress.IsLoopback(IpAddresses.Normalize(local.Address))
            || SocketCalls.RemoteEndPoint(original) is not null
            || translations is null && !canCopy) // the kernel would send to the virtual address itself: as if untrapped
        {
            return Step.Continue;
        }
        if (Route(call, destination) is not { } chosen) return Step.Answered;

        var adopted = OwnedFd.From(sockets.CreateLike(original, sender.Kind), out var createError);
        if (adopted is null) { call.Fail(createError); return Step.Answered; }
        var appFd = call.DescribeFd(sender.Fd, original);
        if (!appFd.NonBlocking) SocketCalls.MakeFreshSocketBlocking(adopted.Fd); // as the app's was
        var translated = translations is not null && translations.Record(DatagramTranslations.CookieOf(adopted.Fd), destination, chosen);
        if (translated) clients.Mark(adopted.Fd, sender.Kind, call.Session.App, chosen);
        var installed = call.Install(adopted.Fd, sender.Fd, appFd.CloseOnExec);
        if (installed.IsError)
        {
            adopted.Dispose();
            if (installed.Error != Errno.ENOENT) call.Fail(installed.Error); // ENOENT: the call was interrupted, nobody to answer
            return Step.Answered;
        }
        sender.Adopted(adopted, appFd.NonBlocking);
        logger.LogDebug("App {AppId}: fd {Fd} is a node socket now (send to {Destination})", call.Session.App.Id, sender.Fd, destination);
        // The call goes on with the fd as it is now: the kernel sends on the node socket, the lock's program translates.
        if (translated || !canCopy) return Step.Continue;
        target = chosen;
        return Step.Copy;
    }

    private Step DecideOnNodeSocket(SyscallContext call, Sender sender, IPEndPoint destination, bool canCopy, out IPEndPoint? target)
    {
        target = null;
        var kernelSends = sender.NodeSocket;
        if (!canCopy && (!kernelSends || translations is null)) return Step.Continue; // the kernel's, as if untrapped
        // Decided for this socket before: the lock's program sends it where the agent chose (no decision, no copy).
        var cookie = translations is null ? 0 : DatagramTranslations.CookieOf(sender.Socket);
        if (kernelSends && cookie != 0 && translations!.IsDecided(cookie, destination)) return Step.Continue;
        // An answer to an AppSwitch client's VIP: the lock's program sends it to the client's node socket if this socket heard from it.
        if (kernelSends && cookie != 0 && translations!.IsClient(destination)) return Step.Continue;

        if (Route(call, destination) is not { } chosen) return Step.Answered;
        // On a socket the app made itself the programs do not run: the entry only serves a later adopted socket's answers.
        if (cookie != 0 && translations!.Record(cookie, destination, chosen) && kernelSends)
        {
            clients.Mark(sender.Socket, sender.Kind, call.Session.App, chosen);
            return Step.Continue;
        }
        if (!canCopy) return Step.Continue; // not recorded (the map refused): the lock's program refuses the send (EPERM)
        sender.NonBlocking = call.DescribeFd(sender.Fd, sender.Socket).NonBlocking;
        target = chosen;
        return Step.Copy;
    }

    /// <summary>Where a datagram to <paramref name="destination"/> goes, or null with the call refused as a connect would be.</summary>
    private IPEndPoint? Route(SyscallContext call, IPEndPoint destination)
    {
        // An app sharing the node's namespace owns its loopback (the node's resolver included), as its connects do.
        var resolved = call.Session.SharesNodeNamespace(call.Tid) && IPAddress.IsLoopback(IpAddresses.Normalize(destination.Address))
            ? new ConnectTarget(destination, null)
            : router.Route(call.Session.App, destination, Transport.Udp);
        if (resolved is not null && NodeSockets.ReachesNodeLoopback(call, destination, resolved)) resolved = null;
        if (resolved is null)
        {
            logger.LogDebug("App {AppId}: send to {Destination} refused", call.Session.App.Id, destination);
            call.Fail(Errno.ECONNREFUSED); // every refusal looks like a closed port
            return null;
        }
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: send to {Destination} -> {Target}", call.Session.App.Id, destination, resolved.EndPoint);
        return resolved.EndPoint;
    }

    /// <summary>
    /// The destination checked in the kernel's order after it was copied in: udp_sendmsg checks the length, MSG_OOB and the
    /// address (the data is read last).
    /// </summary>
    private static Errno Check(Sender sender, ReadOnlySpan<byte> address, long? dataLength, out IPEndPoint destination)
    {
        destination = null!;
        if (dataLength > MaxDatagram) return Errno.EMSGSIZE;
        if ((sender.Flags & MSG.OOB) != 0) return Errno.EOPNOTSUPP;
        if (AddressError(sender.Socket, sender.Kind, address) is var error and not Errno.None) return error;
        if (!SockAddr.TryDecode(address, out var decoded)) return Errno.EINVAL;
        destination = decoded;
        return Errno.None;
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
}
