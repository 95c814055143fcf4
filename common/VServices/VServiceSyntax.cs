using System.Globalization;
using System.Net;
using AppSwitch.Common.Model;
using AppSwitch.Common.Net;

namespace AppSwitch.Common.VServices;

/// <summary>
/// The rules of a vservice definition, shared by `ax create vservice` (usage errors, exit 2) and the agent
/// (400 on REST, and the check of published or saved definitions). Each method returns why a value is wrong,
/// or null when it is fine.
/// </summary>
public static class VServiceSyntax
{
    public const string RoundRobin = "RoundRobin";
    public const string Random = "Random";
    public const string LbTypes = "Random or RoundRobin";
    public const int MaxBackends = 256;

    /// <summary>`VPORT:APORT[,VPORT:APORT…]`; a vport appears once.</summary>
    public static string? TryParsePorts(string text, out List<VServicePort> ports)
    {
        ports = [];
        foreach (var item in text.Split(','))
        {
            var parts = item.Split(':');
            if (parts.Length != 2 || !TryParsePort(parts[0], out var vport) || !TryParsePort(parts[1], out var aport))
                return $"\"{item}\" is not VPORT:APORT (ports 1-65535)";
            ports.Add(new VServicePort(vport, aport));
        }
        return CheckPorts(ports);
    }

    /// <summary>`IP[,IP…]`, each a dotted-quad IPv4 address.</summary>
    public static string? TryParseBackends(string text, out List<string> backends)
    {
        backends = [.. text.Split(',')];
        return CheckBackends(backends);
    }

    /// <summary>The canonical spelling of an LB type (case-insensitive), or null when unknown.</summary>
    public static string? CanonicalLbType(string? text) =>
        string.IsNullOrEmpty(text) || text.Equals(Random, StringComparison.OrdinalIgnoreCase) ? Random
        : text.Equals(RoundRobin, StringComparison.OrdinalIgnoreCase) ? RoundRobin
        : null;

    public static string? CheckName(string? name) =>
        string.IsNullOrEmpty(name) ? "a vservice needs a name"
        : name.Length > 63 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"invalid vservice name \"{name}\": up to 63 letters, digits, '-', '_' or '.'"
            : null;

    public static string? CheckAddress(string what, string? text) =>
        text is null ? $"{what} is missing"
        : !Ipv4Literal.TryParse(text, out var address) ? $"{what} \"{text}\" is not an IPv4 address (A.B.C.D)"
        : address.Equals(IPAddress.Any) || address.Equals(IPAddress.Broadcast) || IPAddress.IsLoopback(address)
            ? $"{what} {text} cannot be used (unspecified, broadcast or loopback)"
            : null;

    public static string? CheckPorts(IReadOnlyList<VServicePort>? ports)
    {
        if (ports is null || ports.Count == 0) return "a vservice needs at least one port (VPORT:APORT)";
        foreach (var port in ports)
            if (port is null) return "a port is null, not VPORT:APORT";
            else if (port.VPort is < 1 or > 65535 || port.APort is < 1 or > 65535) return $"port {port} is out of range (1-65535)";
        var repeated = ports.GroupBy(p => p.VPort).FirstOrDefault(g => g.Count() > 1);
        return repeated is null ? null : $"vport {repeated.Key} is given more than once";
    }

    public static string? CheckBackends(IReadOnlyList<string>? backends)
    {
        if (backends is null || backends.Count == 0) return "a vservice needs at least one backend IP";
        if (backends.Count > MaxBackends) return $"a vservice has at most {MaxBackends} backends";
        foreach (var backend in backends)
            if (CheckAddress("backend", backend) is { } error) return error;
        return null;
    }

    /// <summary>Everything a definition must satisfy on its own (conflicts with other entries are the table's business).</summary>
    public static string? Check(VServiceSpec spec)
    {
        if ((CheckName(spec.Name) ?? CheckAddress("ip", spec.Ip) ?? CheckPorts(spec.Ports) ?? CheckBackends(spec.Backends)) is { } error)
            return error;
        if (CanonicalLbType(spec.LbType) is null) return $"unknown lbtype \"{spec.LbType}\" (must be {LbTypes})";
        if (spec.Backends!.Contains(spec.Ip!)) return $"backend {spec.Ip} is the vservice's own ip";
        return spec.SourceIp is null ? null : CheckAddress("source-ip", spec.SourceIp);
    }

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
