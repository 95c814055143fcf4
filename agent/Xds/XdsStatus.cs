using AppSwitch.Agent.Xds.Translation;

namespace AppSwitch.Agent.Xds;

/// <summary>What `ax get xds` shows: the connection, the versions ACKed per type and what was refused and why.</summary>
public sealed record XdsStatus
{
    public static readonly XdsStatus Disabled = new() { State = "disabled" };

    /// <summary>disabled, connecting, connected, or backoff (waiting to reconnect; the last good config stays in force).</summary>
    public string State { get; init; } = "connecting";
    public string? Server { get; init; }
    public string? NodeId { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? ConnectedSince { get; init; }
    public IReadOnlyDictionary<string, XdsTypeStatus> Types { get; init; } = new Dictionary<string, XdsTypeStatus>();
    public IReadOnlyList<XdsRefusal> Refused { get; init; } = [];
}

/// <summary>One type's sub-stream: the version ACKed last (the config in force), the last nonce seen, how many resources are held.</summary>
public sealed record XdsTypeStatus(string? AckedVersion, string? LastNonce, int Resources, int Nacks);
