using System.Globalization;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>`ax get proxies`: ID PROTO LISTENER DIALERS (wide: STATE CONNECTIONS ACTIVE REFUSED BYTESIN BYTESOUT).</summary>
internal static class ProxyTable
{
    public static readonly ResourceTable<ProxyRecord> Definition = new(
        [
            new("ID", p => p.Id),
            new("PROTO", p => p.Proto),
            new("LISTENER", p => p.Listener),
            new("DIALERS", p => p.Dialers),
        ],
        [
            new("STATE", p => p.State),
            new("CONNECTIONS", p => p.Connections.ToString(CultureInfo.InvariantCulture)),
            new("ACTIVE", p => p.Active.ToString(CultureInfo.InvariantCulture)),
            new("REFUSED", p => p.Refused.ToString(CultureInfo.InvariantCulture)),
            new("BYTESIN", p => p.BytesIn.ToString(CultureInfo.InvariantCulture)),
            new("BYTESOUT", p => p.BytesOut.ToString(CultureInfo.InvariantCulture)),
            new("FAILURES", p => p.Failures is not { Count: > 0 } failures ? "-" : string.Join(",", failures.Select(f => $"{f.Key}={f.Value}"))),
        ]);
}
