using System.Globalization;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>
/// `ax get xds`: one row per xDS type — SERVER STATE TYPE VERSION RESOURCES NACKS (wide: NONCE ERROR) — then, when
/// something was refused, a second table TYPE NAME REASON; while not connected, a line with the last error; always
/// the outbound traffic policy in force and where it came from. -o json|yaml: the status record itself (in a List).
/// </summary>
internal static class XdsTable
{
    public sealed record Row(XdsStatusRecord Status, XdsTypeRecord Type);

    public static readonly ResourceTable<Row> Definition = new(
        [
            new("SERVER", r => r.Status.Server ?? ""),
            new("STATE", r => r.Status.State),
            new("TYPE", r => r.Type.Type),
            new("VERSION", r => r.Type.AckedVersion ?? ""),
            new("RESOURCES", r => r.Type.Resources.ToString(CultureInfo.InvariantCulture)),
            new("NACKS", r => r.Type.Nacks.ToString(CultureInfo.InvariantCulture)),
        ],
        [
            new("NONCE", r => r.Type.LastNonce ?? ""),
            new("ERROR", r => r.Status.LastError ?? ""),
        ]);

    public static readonly ResourceTable<XdsRefusalRecord> Refusals = new(
        [new("TYPE", r => r.Type), new("NAME", r => r.Name), new("REASON", r => r.Reason)], []);

    public static void Print(XdsStatusRecord status, OutputFormat format, TextWriter stdout)
    {
        if (format is OutputFormat.Json or OutputFormat.Yaml)
        {
            var json = JsonListWriter.Format([status], Common.Json.ApiJsonContext.Default.XdsStatusRecord, indented: format == OutputFormat.Json);
            stdout.Write(format == OutputFormat.Json ? json : YamlWriter.FromJson(json));
            return;
        }
        if (status.Types.Count == 0)
        {
            stdout.WriteLine($"xDS: {status.State} (start the agent with --xds-address HOST:PORT)");
            return;
        }
        stdout.Write(Definition.Format(status.Types.Select(t => new Row(status, t)).ToList(), wide: format == OutputFormat.Wide));
        // Not connected: why, in the agent's own sentence (a refused certificate, an unreadable token, …).
        if (status.State != "connected" && status.LastError is not null && format != OutputFormat.Wide)
            stdout.WriteLine($"{status.State}: {status.LastError}");
        stdout.WriteLine(status.Outbound is { } outbound
            ? $"outbound: {outbound} (from {status.OutboundSource})"
            : "outbound: not set by istiod (only the node's --egress applies)");
        if (status.Refused.Count == 0) return;
        stdout.WriteLine();
        stdout.Write(Refusals.Format(status.Refused, wide: false));
    }
}
