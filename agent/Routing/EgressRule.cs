using AppSwitch.Common.Net;
using System.Net;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// One `--egress-allow` entry: a network and optionally one port or port range, written `CIDR`, `CIDR:PORTS`,
/// `[IPv6-CIDR]:PORTS`; a bare address is a single host. Entries are comma-separated, so one entry has one
/// port range (repeat the network for more).
/// </summary>
public sealed class EgressRule
{
    private readonly IPNetwork _network;
    private readonly PortRanges? _ports;

    private EgressRule(IPNetwork network, PortRanges? ports)
    {
        _network = network;
        _ports = ports;
    }

    public bool Allows(IPAddress address, int port) =>
        _network.Contains(IpAddresses.Normalize(address)) && (_ports is null || _ports.Contains(port));

    /// <summary>Parses one entry; FormatException naming the entry and what is wrong with it.</summary>
    public static EgressRule Parse(string entry)
    {
        string network;
        string? ports = null;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']');
            if (close < 0) throw Bad(entry, "a '[' without ']'");
            network = entry[1..close];
            var rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') throw Bad(entry, "expected ':PORTS' after ']'");
                ports = rest[1..];
            }
        }
        else if (entry.Count(c => c == ':') == 1)
        {
            // One colon: an IPv4 network with ports (an IPv6 network with ports is written in brackets).
            var colon = entry.IndexOf(':');
            network = entry[..colon];
            ports = entry[(colon + 1)..];
        }
        else network = entry;
        return new EgressRule(ParseNetwork(network, entry), ports is null ? null : ParsePorts(ports, entry));
    }

    private static IPNetwork ParseNetwork(string text, string entry)
    {
        IPNetwork network;
        if (!text.Contains('/'))
        {
            if (!IPAddress.TryParse(text, out var host)) throw Bad(entry, $"'{text}' is not an IP address or CIDR");
            network = new IPNetwork(host, host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }
        else if (!IPNetwork.TryParse(text, out network)
                 // A typo like 10.0.0.1/8 must not silently become 10.0.0.0/8 (newer runtimes mask the host bits).
                 || !IPAddress.TryParse(text[..text.IndexOf('/')], out var typed) || !typed.Equals(network.BaseAddress))
            throw Bad(entry, $"'{text}' is not a CIDR (address/prefix length, no bits set after the prefix)");
        // Connects to v4-mapped addresses are decided as IPv4: a v4-mapped network is its IPv4 network.
        if (network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
            network = new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96);
        return network;
    }

    private static PortRanges ParsePorts(string text, string entry)
    {
        if (text.Length == 0) throw Bad(entry, "no port after ':'");
        try
        {
            return PortRanges.Parse(text);
        }
        catch (FormatException e)
        {
            throw Bad(entry, e.Message);
        }
    }

    private static FormatException Bad(string entry, string why) => new($"egress rule '{entry}': {why}");

    public override string ToString()
    {
        if (_ports is null) return _network.ToString();
        return _network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{_network}]:{_ports}" : $"{_network}:{_ports}";
    }
}
