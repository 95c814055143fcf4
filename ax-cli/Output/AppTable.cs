using System.Globalization;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>`ax get apps`: NAME APPID NODEID CLUSTER APPIP DRIVER LABELS ZONES (wide: PID EGRESS COMMAND).</summary>
internal static class AppTable
{
    public static readonly ResourceTable<AppRecord> Definition = new(
        [
            new("NAME", a => a.Name),
            new("APPID", a => a.AppId),
            new("NODEID", a => a.NodeId),
            new("CLUSTER", a => a.Cluster),
            new("APPIP", a => a.AppIp),
            new("DRIVER", a => a.Driver),
            new("LABELS", a => Labels(a.Labels)),
            new("ZONES", a => Zones(a.Labels)),
        ],
        [
            new("PID", a => a.Pid > 0 ? a.Pid.ToString(CultureInfo.InvariantCulture) : ""),
            new("EGRESS", a => a.Egress),
            new("COMMAND", a => CommandLineText.Join(a.Command)),
        ]);

    /// <summary>`k=v,k2=v2`, sorted by key so that the same labels always read the same.</summary>
    public static string Labels(IReadOnlyDictionary<string, string> labels) =>
        string.Join(',', Sorted(labels).Select(l => $"{l.Key}={l.Value}"));

    /// <summary>AppSwitch's zone view of the labels: `[zone==default tier==web]` (every label is a zone).</summary>
    public static string Zones(IReadOnlyDictionary<string, string> labels) =>
        "[" + string.Join(' ', Sorted(labels).Select(l => $"{l.Key}=={l.Value}")) + "]";

    private static IEnumerable<KeyValuePair<string, string>> Sorted(IReadOnlyDictionary<string, string> labels) =>
        labels.OrderBy(l => l.Key, StringComparer.Ordinal);
}
