using AppSwitch.Common.Net;
using System.Net;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Telling the node sockets the agent handed an app from the app's own: by the namespace a socket really lives in,
/// not by the table's records (a socket connected to a non-virtual address, an accepted one or one dissolved with
/// AF_UNSPEC has none). Only the node's namespace reaches anything.
/// </summary>
internal static class NodeSockets
{
    /// <summary>
    /// True when <paramref name="borrowedFd"/> (the agent's dup of the caller's socket) lives in the node's network
    /// namespace while the app has one of its own. An app run with --new-netns=false shares the node's namespace, its
    /// loopback included: none of its sockets counts (its connects are still decided by the agent).
    /// </summary>
    public static bool IsNodeSocket(SyscallContext call, int borrowedFd)
    {
        if (call.Session.SharesNodeNamespace(call.Tid)) return false;
        var ns = NetworkNamespace.OfSocket(borrowedFd);
        return ns == 0 || ns == NetworkNamespace.Own; // unknown: assume the worst
    }

    /// <summary>
    /// True when a node socket of an app with a namespace of its own would reach the node's loopback (kubelet, the
    /// agent's sockets): a loopback destination the agent did not redirect (127.0.0.1:53 goes to the agent's DNS server).
    /// </summary>
    public static bool ReachesNodeLoopback(SyscallContext call, IPEndPoint destination, ConnectTarget resolved)
    {
        var address = IpAddresses.Normalize(destination.Address);
        return IPAddress.IsLoopback(address) && resolved.EndPoint.Port == destination.Port
               && IpAddresses.Normalize(resolved.EndPoint.Address).Equals(address)
               && !call.Session.SharesNodeNamespace(call.Tid);
    }
}
