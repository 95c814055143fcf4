using System.Net;
using System.Net.Sockets;

namespace AppSwitch.Agent.Cluster;

/// <summary>Neighbor spellings: <c>host</c>, <c>host:port</c>, <c>1.2.3.4</c>, <c>1.2.3.4:7946</c>, <c>::1</c>, <c>[::1]:7946</c>.</summary>
internal static class NeighborAddress
{
    public static (string Host, int? Port) Parse(string text)
    {
        text = text.Trim();
        if (text.Length == 0) throw new FormatException("empty neighbor address");
        if (IPAddress.TryParse(text, out _) && !text.StartsWith('[')) return (text, null);
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0) throw new FormatException($"bad neighbor address '{text}'");
            string host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length == 0) return (host, null);
            if (rest[0] != ':') throw new FormatException($"bad neighbor address '{text}'");
            return (host, ParsePort(rest[1..], text));
        }
        int colon = text.LastIndexOf(':');
        if (colon < 0) return (text, null);
        if (text.IndexOf(':') != colon) throw new FormatException($"bad neighbor address '{text}'");
        return (text[..colon], ParsePort(text[(colon + 1)..], text));
    }

    private static int ParsePort(string port, string text) =>
        int.TryParse(port, out int value) && value is > 0 and <= 65535 ? value : throw new FormatException($"bad port in neighbor address '{text}'");

    public static async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string text, int defaultPort, CancellationToken cancel)
    {
        var (host, port) = Parse(text);
        if (IPAddress.TryParse(host, out var literal)) return [new IPEndPoint(literal, port ?? defaultPort)];
        var addresses = await Dns.GetHostAddressesAsync(host, cancel).ConfigureAwait(false);
        return addresses
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .Select(a => new IPEndPoint(a, port ?? defaultPort))
            .ToList();
    }
}
