using System.Net;

namespace AppSwitch.Common.Net;

/// <summary>Spellings of one address made equal, so that lookups keyed by address find an entry either way.</summary>
public static class IpAddresses
{
    /// <summary>IPv4-mapped IPv6 addresses become plain IPv4 so that both spellings find the same entry.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// The address's text without keeping it: <see cref="IPAddress.ToString"/> caches its string in the address
    /// (48 bytes more per long-lived address that a state encoding or a listing once printed).
    /// </summary>
    public static string Text(IPAddress address)
    {
        Span<char> text = stackalloc char[64]; // an IPv6 address with a scope fits in 65 with the NUL of inet_ntop: ours has no NUL
        return address.TryFormat(text, out var written) ? new string(text[..written]) : address.ToString();
    }
}
