namespace AppSwitch.Agent.Cluster;

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
