using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Configuration;

/// <summary>
/// Turns `--node-interface` (an IPv4 address or an interface name) into the node address, and picks one when
/// it is not given. The interface list is a parameter so that tests can describe any machine.
/// </summary>
public sealed class NodeAddressResolver(Func<IReadOnlyList<NetworkInterfaceInfo>> listInterfaces)
{
    public static NodeAddressResolver ForThisHost() => new(ListHostInterfaces);

    /// <summary>The first interface that is up, not loopback and has an IPv4 address; else 127.0.0.1 (a lone test node).</summary>
    public IPAddress Default()
    {
        var candidates = listInterfaces()
            .Where(i => i.IsUp && !i.IsLoopback)
            .Select(i => FirstIPv4(i))
            .OfType<IPAddress>();
        return candidates.FirstOrDefault() ?? IPAddress.Loopback;
    }

    /// <summary>Why <paramref name="value"/> cannot give a node address, or null when it can.</summary>
    public string? Explain(string value) => TryResolve(value, out _, out var reason) ? null : reason;

    public IPAddress Resolve(string value) =>
        TryResolve(value, out var address, out var reason)
            ? address
            : throw new ArgumentException(reason, nameof(value));

    private bool TryResolve(string value, out IPAddress address, out string reason)
    {
        address = IPAddress.None;
        reason = "";
        if (value.Length == 0)
        {
            reason = "give an IPv4 address or an interface name";
            return false;
        }
        if (Ipv4Literal.TryParse(value, out var parsed))
        {
            address = parsed;
            return true;
        }
        // Node sockets are IPv4 (AppSwitch's model); an IPv6 node address would break every swap later.
        if (value.Contains(':') && IPAddress.TryParse(value, out _))
        {
            reason = "not an IPv4 address (IPv6 node addresses are not supported)";
            return false;
        }

        var interfaces = listInterfaces();
        var match = interfaces.FirstOrDefault(i => i.Name == value);
        if (match is null)
        {
            var known = string.Join(", ", interfaces.Select(i => i.Name));
            reason = known.Length > 0 ? $"no such interface (have: {known})" : "no such interface";
            return false;
        }
        if (FirstIPv4(match) is not { } ipv4)
        {
            reason = $"interface {value} has no IPv4 address";
            return false;
        }
        address = ipv4;
        return true;
    }

    private static IPAddress? FirstIPv4(NetworkInterfaceInfo info) =>
        info.Addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);

    private static IReadOnlyList<NetworkInterfaceInfo> ListHostInterfaces() =>
        NetworkInterface.GetAllNetworkInterfaces()
            // Up first; "unknown" (dummy devices report it) after, so a real link wins when there is one.
            .OrderBy(n => n.OperationalStatus == OperationalStatus.Up ? 0 : 1)
            .Select(n => new NetworkInterfaceInfo(
                n.Name,
                n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown,
                n.NetworkInterfaceType == NetworkInterfaceType.Loopback,
                n.GetIPProperties().UnicastAddresses.Select(u => u.Address).ToList()))
            .ToList();
}
