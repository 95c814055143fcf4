using System.Net.Sockets;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// Marks a client's node socket, before it connects, with the app's virtual IP (clients map, keyed by the socket's
/// cookie), so the sock_ops program sends it on the SYN. Only TCP connections straight to an AppSwitch server of the
/// table: not those to the HTTP relay (it recognises its clients by their node address), to relays or outside
/// addresses (the VIP means nothing there and would leak). Costs two syscalls per marked connect; none without maps.
/// </summary>
internal sealed class ClientMarker(ServiceTable table, ClientAddressMaps? maps)
{
    public bool Enabled => maps is not null;

    /// <summary>The maps (null without them), shared with the UDP marker.</summary>
    public ClientAddressMaps? Maps => maps;

    public void Mark(int nodeFd, SocketCalls.Kind kind, AppEntry app, ConnectTarget target)
    {
        if (maps is null || kind.Type != SOCK.STREAM || target.Relay is not null) return;
        if (app.VirtualIp is not { AddressFamily: AddressFamily.InterNetwork } vip) return;
        if (table.ServerAtNode(target.EndPoint.Address, target.EndPoint.Port) is not { Transport: Transport.Tcp }) return;
        if (SocketCookie.Of(nodeFd) is not { } cookie) return;
        // A failed update only costs this connection its VIP at the server (the LRU map evicts, it does not fill up).
        Bpf.UpdateElement(maps.ClientsFd, BitConverter.GetBytes(cookie), vip.GetAddressBytes());
    }
}
