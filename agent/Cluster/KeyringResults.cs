namespace AppSwitch.Agent.Cluster;

/// <summary>One key of the cluster and how many live members hold it (as `serf keys -list` counts).</summary>
public sealed record KeyHolders(byte[] Key, bool Primary, int Members);

/// <summary>The keys live members reported, with <see cref="Members"/> the live members counted (this node included).</summary>
public sealed record KeyringListing(int Members, IReadOnlyList<KeyHolders> Keys);

/// <summary>A key change made on this node: the new keyring, the live members it was meant for (this node included)
/// and those that did not report holding it before the wait ended.</summary>
public sealed record KeyChangeOutcome(KeyringState State, int Members, IReadOnlyList<string> Missing)
{
    public int Acknowledged => Members - Missing.Count;
}

public enum KeyringRefusal
{
    /// <summary>The node gossips in clear text: there is no keyring to change (start every node with a key).</summary>
    NotEncrypted,
    /// <summary>`use` of a key that is not installed.</summary>
    NotInstalled,
    /// <summary>`remove` of the primary key (make another key primary first).</summary>
    PrimaryKey,
    /// <summary>`install` beyond <see cref="KeyringState.MaxKeys"/>.</summary>
    Full,
}

/// <summary>A key change refused before anything changed; the message is one line for the user.</summary>
public sealed class KeyringException(KeyringRefusal reason, string message) : Exception(message)
{
    public KeyringRefusal Reason { get; } = reason;
}
