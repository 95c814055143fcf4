using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Api;

/// <summary>
/// The service table as the REST API shows it: entries of every node mapped to common/Model records, this node's
/// first, then the replicas by node name. Built from one <see cref="ServiceTable.Image"/>, so each list is consistent.
/// </summary>
public static class TableProjections
{
    /// <summary>Every node's apps: this node's first (by start time), then the replicas.</summary>
    public static IReadOnlyList<AppRecord> AppRecords(this ServiceTable table)
    {
        var node = table.Node;
        return table.Image().Apps
            .OrderBy(a => a.RemoteNode is not null).ThenBy(a => a.RemoteNode?.Name).ThenBy(a => a.Started)
            .Select(a => new AppRecord
            {
                AppId = a.Id, Name = a.Name, NodeId = a.RemoteNode?.Name ?? node.Name, Cluster = node.Cluster,
                AppIp = (a.VirtualIp ?? a.RemoteNode?.Address ?? node.Address).ToString(), Labels = a.Labels, Pid = a.Pid,
                Command = a.Command, Started = a.Started, Protocol = a.Protocol,
                Egress = a.RemoteNode is null ? table.Egress : a.RemoteEgress ?? "",
            }).ToList();
    }

    /// <summary>Every node's servers: this node's first, then the replicas.</summary>
    public static IReadOnlyList<ServerRecord> ServerRecords(this ServiceTable table)
    {
        var node = table.Node;
        return table.Image().Servers
            .OrderBy(s => s.App.RemoteNode is not null).ThenBy(s => s.App.RemoteNode?.Name).ThenBy(s => s.Virtual.ToString())
            .Select(s => new ServerRecord
            {
                NodeId = s.App.RemoteNode?.Name ?? node.Name, Cluster = node.Cluster, AppId = s.App.Id,
                Proto = s.Transport == Transport.Tcp ? "tcp" : "udp",
                ServiceAddr = s.Virtual.ToString(), Ipv4Addr = s.Node.ToString(), Inode = s.Inode,
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
        return table.Image().VServices
            .OrderBy(v => v.RemoteNode is not null).ThenBy(v => v.RemoteNode?.Name, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal)
            .Select(v => new VServiceRecord
            {
                Name = v.Name, Type = v.External ? "External" : "Internal", Ip = v.VirtualIp.ToString(),
                Ports = v.Ports.Select(p => new VServicePort(p.Key, p.Value)).ToList(),
                Backends = v.Backends.Select(b => b.ToString()).ToList(), LbType = v.LbType.ToString(),
                SourceIp = v.SourceIp?.ToString() ?? "", NodeId = v.RemoteNode?.Name ?? node.Name, Cluster = node.Cluster,
            }).ToList();
    }
}
