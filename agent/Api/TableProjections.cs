using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Api;

/// <summary>
/// The service table as the REST API shows it: entries mapped to common/Model records, this node's first, then each
/// other node's replica by node name.
/// </summary>
public static class TableProjections
{
    /// <summary>Every node's apps: this node's first (by start time), then the replicas.</summary>
    public static IReadOnlyList<AppRecord> AppRecords(this ServiceTable table)
    {
        var node = table.Node;
        return table.Apps().OrderBy(a => a.Started).Select(a => (Node: node.Name, NodeAddress: node.Address, App: a))
            .Concat(table.Replicas().SelectMany(r => r.Apps.OrderBy(a => a.Started).Select(a => (Node: r.Name, NodeAddress: r.Address, App: a))))
            .Select(x => new AppRecord
            {
                AppId = x.App.Id, Name = x.App.Name, NodeId = x.Node, Cluster = node.Cluster,
                AppIp = (x.App.VirtualIp ?? x.NodeAddress).ToString(), Labels = x.App.Labels, Pid = x.App.Pid,
                Command = x.App.Command, Started = x.App.Started, Protocol = x.App.Protocol,
                Egress = x.App.RemoteNode is null ? table.Egress : x.App.RemoteEgress ?? "",
            }).ToList();
    }

    /// <summary>Every node's servers: this node's first, then the replicas.</summary>
    public static IReadOnlyList<ServerRecord> ServerRecords(this ServiceTable table)
    {
        var node = table.Node;
        return table.Servers().OrderBy(s => s.Virtual.ToString()).Select(s => (Node: node.Name, Server: s))
            .Concat(table.Replicas().SelectMany(r => r.Servers.OrderBy(s => s.Virtual.ToString()).Select(s => (Node: r.Name, Server: s))))
            .Select(x => new ServerRecord
            {
                NodeId = x.Node, Cluster = node.Cluster, AppId = x.Server.App.Id,
                Proto = x.Server.Transport == Transport.Tcp ? "tcp" : "udp",
                ServiceAddr = x.Server.Virtual.ToString(), Ipv4Addr = x.Server.Node.ToString(), Inode = x.Server.Inode,
            }).ToList();
    }

    /// <summary>This node's bound sockets.</summary>
    public static IReadOnlyList<SocketRecord> SocketRecords(this ServiceTable table) =>
        table.Sockets().Select(s => new SocketRecord
        {
            Id = s.Id.ToString(), NodeId = table.Node.Name, AppId = s.App.Id, Inode = s.Inode,
            Proto = s.Transport == Transport.Tcp ? "tcp" : "udp", BindIp = s.VirtualLocal.ToString(),
            NodeAddr = s.NodeLocal.ToString(), State = s.State.ToString().ToLowerInvariant(),
            PeerAddr = s.VirtualPeer?.ToString() ?? "", Backlog = s.Backlog,
        }).ToList();

    /// <summary>Every node's vservices: this node's first, then the replicas (each by name).</summary>
    public static IReadOnlyList<VServiceRecord> VServiceRecords(this ServiceTable table)
    {
        var node = table.Node;
        return table.VServices().OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => (Node: node.Name, VService: v))
            .Concat(table.Replicas().SelectMany(r => r.VServices.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => (Node: r.Name, VService: v))))
            .Select(x => x.VService.ToRecord(x.Node, node.Cluster)).ToList();
    }

    /// <summary>One vservice as the API shows it (a create or delete answers with its own alone, not a listing).</summary>
    public static VServiceRecord ToRecord(this VServiceEntry vservice, string node, string cluster) => new()
    {
        Name = vservice.Name, Type = vservice.External ? "External" : "Internal", Ip = vservice.VirtualIp.ToString(),
        Ports = vservice.Ports.Select(p => new VServicePort(p.Key, p.Value)).ToList(),
        Backends = vservice.Backends.Select(b => b.ToString()).ToList(), LbType = vservice.LbType.ToString(),
        SourceIp = vservice.SourceIp?.ToString() ?? "", NodeId = node, Cluster = cluster,
    };
}
