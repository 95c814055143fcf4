using AppSwitch.Common.Net;
using System.Net;
using System.Net.NetworkInformation;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// The agent's own listening ports, which apps may not dial: this node's REST port (TCP), gossip port (TCP and
/// UDP) and HTTP relay port (TCP) on any address of this node (its interfaces, loopback, the unspecified address,
/// which the kernel takes as a local one), and the other members' gossip port and this node's REST port number on
/// their addresses. A refusal costs nothing on other ports: the port is compared first, addresses only then.
/// </summary>
internal sealed class AgentEndPoints(NodeIdentity node, int restPort, int gossipPort, Func<IPEndPoint?> relayEndPoint,
    Func<IReadOnlyList<NodeRecord>> members)
{
    private static readonly long RefreshMs = 2000;
    private Snapshot<HashSet<IPAddress>>? _localAddresses;
    private Snapshot<HashSet<(IPAddress, int)>>? _memberGossip;

    private sealed record Snapshot<T>(T Value, long TakenMs);

    /// <summary>The name of the agent port <paramref name="destination"/> is, or null when it is none.</summary>
    public string? Find(IPEndPoint destination, Transport transport)
    {
        var port = destination.Port;
        var address = IpAddresses.Normalize(destination.Address);
        var name = port == gossipPort && gossipPort > 0 ? "gossip"
            : transport != Transport.Tcp ? null
            : port == restPort && restPort > 0 ? "REST"
            : relayEndPoint()?.Port == port ? "HTTP relay"
            : null;
        if (name is not null && IsThisNode(address)) return name;
        if (IsMemberPort(address, port, transport)) return port == restPort ? "REST (member)" : "gossip (member)";
        return null;
    }

    private bool IsThisNode(IPAddress address)
    {
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(node.Address))
            return true;
        return Fresh(ref _localAddresses, LocalAddresses).Contains(address);
    }

    private bool IsMemberPort(IPAddress address, int port, Transport transport)
    {
        var gossip = Fresh(ref _memberGossip, MemberGossipEndPoints);
        if (gossip.Count == 0) return false;
        if (gossip.Contains((address, port))) return true;
        // Members do not announce their REST port: this node's number is the cluster's usual one.
        return transport == Transport.Tcp && restPort > 0 && port == restPort && gossip.Any(g => g.Item1.Equals(address));
    }

    private static T Fresh<T>(ref Snapshot<T>? slot, Func<T> take) where T : class
    {
        var now = Environment.TickCount64;
        var current = Volatile.Read(ref slot);
        if (current is not null && now - current.TakenMs < RefreshMs) return current.Value;
        var taken = new Snapshot<T>(take(), now);
        Volatile.Write(ref slot, taken);
        return taken.Value;
    }

    private static HashSet<IPAddress> LocalAddresses()
    {
        var found = new HashSet<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                found.Add(IpAddresses.Normalize(unicast.Address));
        return found;
    }

    private HashSet<(IPAddress, int)> MemberGossipEndPoints()
    {
        var found = new HashSet<(IPAddress, int)>();
        foreach (var member in members())
            if (!member.Self && IPAddress.TryParse(member.Address, out var address) && member.GossipPort > 0)
                found.Add((IpAddresses.Normalize(address), member.GossipPort));
        return found;
    }
}
