using AppSwitch.Common.Net;
using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// bind(fd, addr, len): loopback stays private to the app (kernel); any other IPv4 address (wildcard, the app's
/// virtual IP, …) gets a node socket bound to the node address and a port from `--ports`, remembering what the
/// application asked for. UDP sockets are published as servers here; TCP ones at listen.
/// </summary>
internal sealed class BindHandler(ServiceTable table, NodeSocketFactory sockets, PortAllocator ports, ILogger<BindHandler> logger)
{
    public void Handle(SyscallContext call)
    {
        var fd = call.FdArg(0);
        // The kernel's order of checks: the socket (EBADF, ENOTSOCK), then the address (EFAULT, EINVAL).
        if (!call.TryBorrowFd(fd, out var original)) return;
        if (!SocketCalls.TryGetKind(original, out var kind)) { call.Fail(Errno.ENOTSOCK); return; }
        Span<byte> raw = stackalloc byte[SockAddr.MaxSize];
        var length = AddressArgument.Read(call, 1, 2, raw);
        if (length.IsError) { call.Fail(length.Error); return; }
        raw = raw[..(int)length.Value];

        var family = SockAddr.Family(raw);
        if (family is not (AF.INET or AF.INET6)) { ContinueInAppNamespace(call, original); return; } // AF_UNIX, netlink, …
        if (!SockAddr.TryDecode(raw, out var requested)) { call.Fail(Errno.EINVAL); return; }
        var address = IpAddresses.Normalize(requested.Address);
        if (IPAddress.IsLoopback(address)) { ContinueInAppNamespace(call, original); return; }

        // inet6_bind wants the RFC 2133 length first (EINVAL), then its own family (EAFNOSUPPORT), like inet_bind.
        if (kind.Domain != family) { call.Fail(kind.Domain == AF.INET6 && raw.Length < 24 ? Errno.EINVAL : Errno.EAFNOSUPPORT); return; }
        if (kind.Type is not (SOCK.STREAM or SOCK.DGRAM)) { ContinueInAppNamespace(call, original); return; }
        if (table.FindSocket(SocketCalls.Inode(original)) is not null) { call.Fail(Errno.EINVAL); return; } // already bound
        if (call.Recovering && SocketCalls.LocalEndPoint(original) is { Port: > 0 } bound
            && IpAddresses.Normalize(bound.Address).Equals(table.Node.Address))
        {
            // The previous agent swapped this node socket in but died before recording and answering.
            Publish(call, kind, requested, address, new IPEndPoint(table.Node.Address, bound.Port), SocketCalls.Inode(original));
            call.Succeed();
            return;
        }
        var wildcard = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork && (!wildcard || IsV6Only(original)))
        {
            // Virtual addresses are IPv4. An IPv6-only socket (redis and nginx open one beside their IPv4
            // one) stays in the app's own namespace, where it binds and listens but reaches nothing.
            ContinueInAppNamespace(call, original);
            return;
        }

        if (wildcard && requested.Port == 0 && kind.Type == SOCK.DGRAM)
        {
            // A UDP client picking any port (musl's resolver, busybox nslookup) is no server anyone can find: it stays
            // in the app's namespace, where 127.0.0.1:53 is the agent's DNS; a later connect swaps it as usual.
            ContinueInAppNamespace(call, original);
            return;
        }
        using var nodeSocket = OwnedFd.From(sockets.CreateLike(original, kind), out var createError);
        if (nodeSocket is null) { call.Fail(createError); return; }
        var nodeFd = nodeSocket.Fd;
        var nodeEndPoint = BindNodeSocket(call.Session.App, nodeFd, kind, requested.Port, out var bindError);
        if (nodeEndPoint is null) { call.Fail(bindError); return; }

        var inode = SocketCalls.Inode(nodeFd);
        var appFd = call.DescribeFd(fd, original);
        if (!appFd.NonBlocking) SocketCalls.MakeFreshSocketBlocking(nodeFd);
        var installed = call.Install(nodeFd, fd, appFd.CloseOnExec); // the app gets a copy: ours closes at the end
        if (installed.IsError) { if (installed.Error != Errno.ENOENT) call.Fail(installed.Error); return; }

        Publish(call, kind, requested, address, nodeEndPoint, inode);
        call.Succeed();
    }

    /// <summary>
    /// Binds the node socket at the exposed node port when the app exposes the requested port (so that clients
    /// outside AppSwitch reach it there, with no relay), else at a port from `--ports`. Returns the node endpoint.
    /// </summary>
    private IPEndPoint? BindNodeSocket(AppEntry app, int nodeFd, SocketCalls.Kind kind, int requestedPort, out Errno errno)
    {
        var expose = requestedPort == 0 ? null : app.Expose.FirstOrDefault(m => m.AppPort == requestedPort && m.BindsOnOwnNode(table.Node.Address));
        if (expose is null)
        {
            PortAllocator.RebindKey? key = requestedPort == 0 ? null : new(app.Id, kind.Type, requestedPort);
            return ports.Bind(nodeFd, kind.Domain, key, out errno);
        }
        var everywhere = IPAddress.Any.Equals(expose.HostAddress);
        errno = SocketCalls.Bind(nodeFd, new IPEndPoint(everywhere ? IPAddress.Any : table.Node.Address, expose.HostPort), kind.Domain).Error;
        if (errno != Errno.None) return null;
        logger.LogInformation("App {AppId}: port {Port} exposed at {Host}:{HostPort}", app.Id, requestedPort,
            everywhere ? "0.0.0.0" : table.Node.Address.ToString(), expose.HostPort);
        return new IPEndPoint(table.Node.Address, expose.HostPort);
    }

    /// <summary>Records the swapped socket (and, for UDP, its server) with the address the application asked for.</summary>
    private void Publish(SyscallContext call, SocketCalls.Kind kind, IPEndPoint requested, IPAddress address, IPEndPoint nodeEndPoint, ulong inode)
    {
        var app = call.Session.App;
        var wildcard = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
        var virtualPort = requested.Port != 0 ? requested.Port : nodeEndPoint.Port;
        var serviceAddress = wildcard || address.Equals(app.VirtualIp) ? app.VirtualIp ?? table.Node.Address : address;
        var transport = kind.Type == SOCK.DGRAM ? Transport.Udp : Transport.Tcp;
        var entry = new SocketEntry
        {
            App = app, Inode = inode, Transport = transport,
            Family = kind.Domain == AF.INET6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork,
            VirtualLocal = new IPEndPoint(wildcard ? requested.Address : address, virtualPort),
            Service = new IPEndPoint(serviceAddress, virtualPort), NodeLocal = nodeEndPoint, State = SocketState.Bound,
        };
        table.AddSocket(entry);
        if (transport == Transport.Udp) table.AddServer(ServerFor(entry));
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("App {AppId}: bind {Requested}/{Transport} -> node {Node}", app.Id, requested, transport, nodeEndPoint);
    }

    /// <summary>
    /// Lets the kernel bind a socket of the app's own namespace. A node socket the table has no record of (connected,
    /// accepted, dissolved) would be bound on the node's network or loopback, past the agent: refused.
    /// </summary>
    private static void ContinueInAppNamespace(SyscallContext call, int original)
    {
        if (NodeSockets.IsNodeSocket(call, original)) call.Fail(Errno.EADDRNOTAVAIL);
        else call.Continue();
    }

    private static bool IsV6Only(int socketFd) =>
        SocketCalls.TryGetInt(socketFd, IPPROTO.IPV6, IPV6.V6ONLY, out var v6Only) && v6Only != 0;

    public static ServerEntry ServerFor(SocketEntry socket) => new()
    {
        App = socket.App, Transport = socket.Transport, Virtual = socket.Service, Node = socket.NodeLocal, Inode = socket.Inode,
    };
}
