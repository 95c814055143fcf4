namespace AppSwitch.Agent.Cluster;

/// <summary>
/// One version of the cluster's gossip keyring: the <see cref="Primary"/> key seals what a node sends, every key in
/// <see cref="Keys"/> is tried on receive. Versions are Lamport clocks with the <see cref="Origin"/> node's name as
/// tie-break, so every member settles on the same newest keyring whatever order the changes arrive in.
/// </summary>
public sealed record KeyringState(ulong Version, string Origin, byte[] Primary, IReadOnlyList<byte[]> Keys)
{
    /// <summary>Bounds a keyring so its notice always fits in one datagram.</summary>
    public const int MaxKeys = 16;

    /// <summary>The keyring a node starts with from a single key (`--gossip-key`).</summary>
    public static KeyringState Seed(byte[] key, string origin) => new(0, origin, key, [key]);

    public bool Contains(byte[] key) => Keys.Any(k => k.AsSpan().SequenceEqual(key));

    public bool IsNewerThan(KeyringState other) =>
        Version != other.Version ? Version > other.Version : string.CompareOrdinal(Origin, other.Origin) > 0;

    /// <summary>The primary first, then the others (the order the envelope tries them in).</summary>
    public IReadOnlyList<byte[]> PrimaryFirst() => [Primary, .. Keys.Where(k => !k.AsSpan().SequenceEqual(Primary))];

    /// <summary>Null when well-formed; else why not (keys of 16, 24 or 32 bytes, primary among them, no duplicates).</summary>
    public string? Problem()
    {
        if (Keys.Count is 0 or > MaxKeys) return $"a keyring holds 1 to {MaxKeys} keys, not {Keys.Count}";
        if (Keys.Any(k => !IsValidKeyLength(k.Length))) return "every key must be 16, 24 or 32 bytes";
        if (!Contains(Primary)) return "the primary key is not in the keyring";
        if (Keys.Select(Convert.ToBase64String).Distinct().Count() != Keys.Count) return "the keyring holds a key twice";
        return null;
    }

    public static bool IsValidKeyLength(int length) => length is 16 or 24 or 32;
}
