using System.Globalization;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>`ax get nodes`: NAME CLUSTER ADDRESS STATE APPS SERVERS (wide: INCARNATION VERSION GOSSIPPORT ENCRYPTION).</summary>
internal static class NodeTable
{
    public static readonly ResourceTable<NodeRecord> Definition = new(
        [
            new("NAME", n => n.Self ? n.Name + " (this node)" : n.Name),
            new("CLUSTER", n => n.Cluster),
            new("ADDRESS", n => n.Address),
            new("STATE", n => n.State),
            new("APPS", n => n.Apps.ToString(CultureInfo.InvariantCulture)),
            new("SERVERS", n => n.Servers.ToString(CultureInfo.InvariantCulture)),
        ],
        [
            new("INCARNATION", n => n.Incarnation.ToString(CultureInfo.InvariantCulture)),
            new("VERSION", n => n.StateVersion.ToString(CultureInfo.InvariantCulture)),
            new("GOSSIPPORT", n => n.GossipPort.ToString(CultureInfo.InvariantCulture)),
            new("ENCRYPTION", n => n.Encryption),
        ]);
}
