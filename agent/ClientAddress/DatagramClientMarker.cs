using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// The UDP half of the client's address at the server: when an app with a virtual IP sends to an AppSwitch server
/// of the table from a node socket, that socket's node ip:port is recorded as the app's VIP and the same port
/// (<see cref="DatagramTranslations.RecordClient"/>), so the socket lock's recvmsg programs show servers of this
/// node that VIP in recvfrom/recvmsg, and its sendmsg programs take their answers to the VIP back to the socket.
/// For a server on another node the socket carries the VIP on every datagram instead (<see cref="DatagramMark"/>):
/// that node's kernel records the same entries; the VIP is first recorded for the socket in the sender VIPs map, the
/// only VIP this node's egress guard (<see cref="DatagramSenderGuard"/>) lets out with the option. Once per
/// (socket, destination decided), never per datagram: a bind (only for a socket the kernel would autobind at its
/// first send), a getsockname, two map updates; across nodes, a getsockopt (the cookie), a map update, a setsockopt.
/// </summary>
/// <param name="senderVips">The client-address maps; null: no guard here, so no VIP is carried to other nodes.</param>
internal sealed class DatagramClientMarker(ServiceTable table, DatagramTranslations? translations, IPAddress nodeAddress, bool enabled,
    ClientAddressMaps? senderVips)
{
    public void Mark(int nodeFd, SocketCalls.Kind kind, AppEntry app, IPEndPoint target)
    {
        if (!enabled) return;
        if (app.VirtualIp is not { AddressFamily: AddressFamily.InterNetwork } vip) return;
        if (table.ServerAtNode(target.Address, target.Port) is null) return; // outside addresses never see the VIP
        if (!IsThisNode(target.Address))
        {
            // The record first: the guard drops a marked datagram of a socket without one. A full map or a failed
            // setsockopt (an IPv6-only socket) only costs this socket its VIP at the server.
            if (senderVips is null || SocketCookie.Of(nodeFd) is not { } cookie) return;
            if (Bpf.UpdateElement(senderVips.SenderVipsFd, BitConverter.GetBytes(cookie), vip.GetAddressBytes()).IsError) return;
            SocketCalls.SetRaw(nodeFd, IPPROTO.IP, DatagramMark.IpOptions, DatagramMark.Option(vip));
            return;
        }
        if (translations is null || LocalPort(nodeFd, kind) is not { } port) return;
        // A failed update only costs this socket its VIP at the server (the LRU map evicts, it does not fill up).
        translations.RecordClient(new IPEndPoint(nodeAddress, port), new IPEndPoint(vip, port));
    }

    private bool IsThisNode(IPAddress address) =>
        (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).Equals(nodeAddress);

    /// <summary>The socket's port; an unbound one is bound to the wildcard and port 0 first, as its first send would.</summary>
    private static int? LocalPort(int fd, SocketCalls.Kind kind)
    {
        if (SocketCalls.LocalEndPoint(fd) is { Port: not 0 } bound) return bound.Port;
        var any = kind.Domain == AF.INET6 ? IPAddress.IPv6Any : IPAddress.Any;
        if (SocketCalls.Bind(fd, new IPEndPoint(any, 0), kind.Domain).IsError) return null;
        return SocketCalls.LocalEndPoint(fd) is { Port: not 0 } chosen ? chosen.Port : null;
    }
}
