using System.Globalization;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>`ax get servers`: NODEID CLUSTER APPID PROTO SERVICEADDR IPV4ADDR (wide: INODE).</summary>
internal static class ServerTable
{
    public static readonly ResourceTable<ServerRecord> Definition = new(
        [
            new("NODEID", s => s.NodeId),
            new("CLUSTER", s => s.Cluster),
            new("APPID", s => s.AppId),
            new("PROTO", s => s.Proto),
            new("SERVICEADDR", s => s.ServiceAddr),
            new("IPV4ADDR", s => s.Ipv4Addr),
        ],
        [
            new("INODE", s => s.Inode.ToString(CultureInfo.InvariantCulture)),
        ]);
}
