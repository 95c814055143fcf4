using System.Net;

namespace AppSwitch.Common.Net;

/// <summary>Spellings of one address made equal, so that lookups keyed by address find an entry either way.</summary>
public static class IpAddresses
{
    /// <summary>IPv4-mapped IPv6 addresses become plain IPv4 so that both spellings find the same entry.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
