namespace AppSwitch.Agent.Cluster;

/// <summary>A key change refused before anything changed; the message is one line for the user.</summary>
public sealed class KeyringException(KeyringRefusal reason, string message) : Exception(message)
{
    public KeyringRefusal Reason { get; } = reason;
}
