using System.Net;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// The relays this node needs, from the table: other nodes' apps exposing a port on this node's address or on every
/// node (`--expose P:NODEIP:H`, `P:0.0.0.0:H`; the app's own node binds its socket there itself), and every node's
/// external vservices on each vport. TCP only. When two want the same listener, the first in this order keeps it.
/// </summary>
public static class RelayPlanner
{
    public static IReadOnlyList<RelaySpec> Plan(ServiceTable table) => Plan(table.Image(), table.Node.Name, table.Node.Address);

    /// <summary>
    /// The relays node <paramref name="nodeName"/> at <paramref name="nodeAddress"/> runs, as far as this node's table
    /// knows (the same table replicated: any member's plan can be computed here; routing snapshots hold every node's
    /// for apps dialling another node's relay).
    /// </summary>
    public static IReadOnlyList<RelaySpec> Plan(TableImage table, string nodeName, IPAddress nodeAddress)
    {
        var relays = new List<RelaySpec>();
        var others = table.Apps.Where(a => (a.RemoteNode?.Name ?? table.Node.Name) != nodeName);
        foreach (var app in others.OrderBy(a => a.Started).ThenBy(a => a.Id, StringComparer.Ordinal))
            foreach (var mapping in app.Expose)
                if (mapping.RelaysOn(nodeAddress))
                    relays.Add(new RelaySpec(Transport.Tcp, new IPEndPoint(nodeAddress, mapping.HostPort),
                        new ExposeRoute(app.RemoteNode?.Name ?? table.Node.Name, app.Id, mapping.AppPort)));
        foreach (var vservice in table.VServices.Where(v => v.External).OrderBy(v => v.Name, StringComparer.Ordinal))
            foreach (var vport in vservice.Ports.Keys.Order())
                relays.Add(new RelaySpec(Transport.Tcp, new IPEndPoint(nodeAddress, vport),
                    new VServiceRoute(vservice.RemoteNode?.Name ?? table.Node.Name, vservice.Name, vport)));
        return relays;
    }
}
