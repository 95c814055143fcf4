using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>`ax get vservices`: VSNAME VSTYPE VSIP VSPORTS VSBACKENDIPS (wide: LBTYPE SOURCEIP NODEID).</summary>
internal static class VServiceTable
{
    public static readonly ResourceTable<VServiceRecord> Definition = new(
        [
            new("VSNAME", v => v.Name),
            new("VSTYPE", v => v.Type),
            new("VSIP", v => v.Ip),
            new("VSPORTS", v => string.Join(",", v.Ports)),
            new("VSBACKENDIPS", v => string.Join(",", v.Backends)),
        ],
        [
            new("LBTYPE", v => v.LbType),
            new("SOURCEIP", v => v.SourceIp),
            new("NODEID", v => v.NodeId),
        ]);
}
