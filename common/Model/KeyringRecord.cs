namespace AppSwitch.Common.Model;

/// <summary>`GET /api/v1/keys` (`ax keys list`): the gossip keys live members hold, as `serf keys -list` shows them.</summary>
public sealed record KeyringRecord
{
    /// <summary>Live members counted, the answering node included.</summary>
    public int Members { get; init; }
    public List<KeyRecord> Keys { get; init; } = [];
}

/// <summary>One key (base64), whether it is the answering node's primary, and how many live members hold it.</summary>
public sealed record KeyRecord
{
    public required string Key { get; init; }
    public bool Primary { get; init; }
    public int Members { get; init; }
}

/// <summary>Body of `POST /api/v1/keys/{install,use,remove}`: the key in base64 (16, 24 or 32 bytes).</summary>
public sealed record KeyRequest
{
    public string? Key { get; init; }
}

/// <summary>
/// The answer to a key change: the keyring version it made, the live members it was meant for (the answering node
/// included) and those that had not reported it when the agent stopped waiting.
/// </summary>
public sealed record KeyChangeRecord
{
    public required string Operation { get; init; }
    public long Version { get; init; }
    public int Members { get; init; }
    public int Acknowledged { get; init; }
    public List<string> Missing { get; init; } = [];
}
