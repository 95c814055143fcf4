using System.Net;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Configuration;

/// <summary>Rules for the DNS flags of `ax daemon` and where upstream servers come from.</summary>
public static class DnsSettings
{
    public const int DnsPort = 53;

    public static string NormalizeDomain(string domain) => domain.Trim('.').ToLowerInvariant();

    public static string? ExplainDomain(string value)
    {
        var domain = NormalizeDomain(value);
        if (domain.Length is 0 or > 200) return "must be a domain name such as appswitch.local";
        foreach (var label in domain.Split('.'))
            if (label.Length is 0 or > 63 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || label[0] == '-' || label[^1] == '-')
                return $"'{value}' is not a domain name (labels of letters, digits and '-', separated by dots)";
        return null;
    }

    public static string? ExplainServers(string value)
    {
        var entries = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (entries.Length == 0) return "give at least one IP[:PORT]";
        foreach (var entry in entries)
            if (ParseServer(entry) is null) return $"'{entry}' is not an IPv4 address with an optional :PORT";
        return null;
    }

    public static IReadOnlyList<IPEndPoint> ParseServers(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(e => ParseServer(e) ?? throw new FormatException($"'{e}' is not IP[:PORT]")).ToList();

    private static IPEndPoint? ParseServer(string entry)
    {
        var colon = entry.IndexOf(':');
        var host = colon < 0 ? entry : entry[..colon];
        var port = DnsPort;
        if (colon >= 0 && (!int.TryParse(entry[(colon + 1)..], System.Globalization.NumberStyles.None, null, out port) || port is < 1 or > 65535))
            return null;
        return Ipv4Literal.TryParse(host, out var address) ? new IPEndPoint(address, port) : null;
    }

    /// <summary>The IPv4 nameservers of a resolv.conf text (IPv6 and comments are skipped).</summary>
    public static IReadOnlyList<IPEndPoint> NameserversOf(string resolvConf) =>
        resolvConf.Split('\n')
            .Select(line => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 2 && words[0] == "nameserver" && Ipv4Literal.TryParse(words[1], out _))
            .Select(words => new IPEndPoint(IPAddress.Parse(words[1]), DnsPort))
            .ToList();

    /// <summary>The resolv.conf an app in a new namespace sees: the agent at 127.0.0.1, names searched in the domain.</summary>
    public static string AppResolvConf(string domain) =>
        "# written by AppSwitch: the agent answers DNS here (ax run --dns-override=false keeps the node's file)\n" +
        "nameserver 127.0.0.1\n" +
        $"search {domain}\n" +
        "options ndots:1\n";
}
