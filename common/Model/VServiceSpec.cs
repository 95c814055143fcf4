using System.Text.Json.Serialization;

namespace AppSwitch.Common.Model;

/// <summary>
/// What defines a virtual service: the body of `POST /api/v1/vservices`, and also the form in which a node
/// publishes its vservices and saves them in its state file (one shape, checked by the same rules everywhere).
/// </summary>
public sealed record VServiceSpec
{
    public string? Name { get; init; }
    /// <summary>The virtual IP clients connect to.</summary>
    public string? Ip { get; init; }
    /// <summary>App virtual IPs or external (node network) IPs.</summary>
    public List<string>? Backends { get; init; }
    public List<VServicePort>? Ports { get; init; }
    /// <summary>Random (default) or RoundRobin.</summary>
    public string? LbType { get; init; }
    public bool External { get; init; }
    /// <summary>A local address the node socket is bound to before it connects; null: the kernel chooses.</summary>
    public string? SourceIp { get; init; }
}

/// <summary>A port of a vservice: clients connect to <see cref="VPort"/>, backends are reached on <see cref="APort"/>.</summary>
public sealed record VServicePort(
    [property: JsonPropertyName("vport")] int VPort,
    [property: JsonPropertyName("aport")] int APort)
{
    public override string ToString() => $"{VPort}:{APort}";
}
