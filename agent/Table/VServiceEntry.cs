using System.Collections.Immutable;
using System.Net;
using AppSwitch.Common.Model;
using AppSwitch.Common.Net;
using AppSwitch.Common.VServices;

namespace AppSwitch.Agent.Table;

/// <summary>
/// A virtual service (on this node, or a replica of another node's): connects to <see cref="VirtualIp"/> on a
/// vport go to one of the backends on the matching aport. Kept compact (a table holds them by the ten thousand):
/// backends are 4-byte <see cref="Ipv4"/> values in one array, the ports one small sorted array.
/// </summary>
public sealed class VServiceEntry
{
    public required string Name { get; init; }
    public required IPAddress VirtualIp { get; init; }
    /// <summary>vport → aport.</summary>
    public required PortMap Ports { get; init; }
    public required ImmutableArray<Ipv4> Backends { get; init; }
    public LbType LbType { get; init; }
    public bool External { get; init; }
    public IPAddress? SourceIp { get; init; }
    /// <summary>The owner when this is a replica of another node's vservice; null for this node's own.</summary>
    public RemoteNodeRef? RemoteNode { get; init; }

    /// <summary>An entry from a definition; null with the reason when the definition breaks a rule.</summary>
    public static VServiceEntry? FromSpec(VServiceSpec spec, RemoteNodeRef? owner, out string? error)
    {
        error = VServiceSyntax.Check(spec);
        if (error is not null) return null;
        return new VServiceEntry
        {
            Name = spec.Name!, VirtualIp = Parse(spec.Ip!),
            Ports = PortMap.Of(spec.Ports!.Select(p => KeyValuePair.Create(p.VPort, p.APort))),
            Backends = spec.Backends!.Select(ParseBackend).ToImmutableArray(),
            LbType = VServiceSyntax.CanonicalLbType(spec.LbType) == VServiceSyntax.RoundRobin ? LbType.RoundRobin : LbType.Random,
            External = spec.External, SourceIp = spec.SourceIp is null ? null : Parse(spec.SourceIp), RemoteNode = owner,
        };
    }

    public VServiceSpec ToSpec() => new()
    {
        Name = Name, Ip = IpAddresses.Text(VirtualIp), Backends = Backends.Select(b => b.ToString()).ToList(),
        Ports = Ports.Select(p => new VServicePort(p.Key, p.Value)).ToList(), LbType = LbType.ToString(),
        External = External, SourceIp = SourceIp is null ? null : IpAddresses.Text(SourceIp),
    };

    private static IPAddress Parse(string text) => Ipv4Literal.TryParse(text, out var address) ? address : throw new FormatException(text);

    private static Ipv4 ParseBackend(string text) => Ipv4.TryParse(text, out var address) ? address : throw new FormatException(text);
}
