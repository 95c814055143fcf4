using System.Globalization;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>`ax get sockets`: ID NODEID APPID INODE PROTO FLAGS BINDIP BACKLOG (wide: STATE NODEADDR PEERADDR).</summary>
internal static class SocketTable
{
    public static readonly ResourceTable<SocketRecord> Definition = new(
        [
            new("ID", s => s.Id),
            new("NODEID", s => s.NodeId),
            new("APPID", s => s.AppId),
            new("INODE", s => s.Inode.ToString(CultureInfo.InvariantCulture)),
            new("PROTO", s => s.Proto),
            new("FLAGS", s => s.Flags.ToString(CultureInfo.InvariantCulture)),
            new("BINDIP", s => s.BindIp),
            new("BACKLOG", s => s.Backlog.ToString(CultureInfo.InvariantCulture)),
        ],
        [
            new("STATE", s => s.State),
            new("NODEADDR", s => s.NodeAddr),
            new("PEERADDR", s => s.PeerAddr),
        ]);
}
