using System.Net;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// The relays this node needs, from the table: other nodes' apps exposing a port on this node's address or on every
/// node (`--expose P:NODEIP:H`, `P:0.0.0.0:H`; the app's own node binds its socket there itself), and every node's
/// external vservices on each vport. TCP only. When two want the same listener, the first in this order keeps it.
/// </summary>
public static class RelayPlanner
{
    public static IReadOnlyList<RelaySpec> Plan(ServiceTable table) => Plan(table, table.Node.Name, table.Node.Address);

    /// <summary>
    /// The relays node <paramref name="nodeName"/> at <paramref name="nodeAddress"/> runs, as far as this node's table
    /// knows (the same table replicated: any member's plan can be computed here; the resolver needs it for apps
    /// dialling another node's relay).
    /// </summary>
    public static IReadOnlyList<RelaySpec> Plan(ServiceTable table, string nodeName, IPAddress nodeAddress)
    {
        var relays = new List<RelaySpec>();
        var others = table.Apps().Concat(table.RemoteApps()).Where(a => (a.RemoteNode?.Name ?? table.Node.Name) != nodeName);
        foreach (var app in others.OrderBy(a => a.Started).ThenBy(a => a.Id, StringComparer.Ordinal))
            foreach (var mapping in app.Expose)
                if (mapping.RelaysOn(nodeAddress))
                    relays.Add(new RelaySpec(Transport.Tcp, new IPEndPoint(nodeAddress, mapping.HostPort),
                        new ExposeRoute(app.RemoteNode?.Name ?? table.Node.Name, app.Id, mapping.AppPort)));
        foreach (var vservice in table.AllVServices().Where(v => v.External).OrderBy(v => v.Name, StringComparer.Ordinal))
            foreach (var vport in vservice.Ports.Keys.Order())
                relays.Add(new RelaySpec(Transport.Tcp, new IPEndPoint(nodeAddress, vport),
                    new VServiceRoute(vservice.RemoteNode?.Name ?? table.Node.Name, vservice.Name, vport)));
        return relays;
    }

    /// <summary>The route of the relay a node of the cluster runs at <paramref name="listener"/> (a node ip:port), or null.</summary>
    public static RelayRoute? RouteAt(ServiceTable table, IPEndPoint listener)
    {
        if (table.NodeNameOf(listener.Address) is not { } nodeName) return null;
        foreach (var spec in Plan(table, nodeName, ServiceTable.Normalize(listener.Address)))
            if (spec.Listener.Port == listener.Port) return spec.Route; // the first one keeps a contested listener
        return null;
    }
}
