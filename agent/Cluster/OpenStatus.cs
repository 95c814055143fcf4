namespace AppSwitch.Agent.Cluster;

internal enum OpenStatus
{
    Ok,
    /// <summary>Too short, unknown envelope kind, bad cluster field.</summary>
    Malformed,
    UnsupportedVersion,
    /// <summary>AES-GCM authentication failed (wrong key, tampering).</summary>
    AuthFailed,
    /// <summary>Plain traffic while this node requires encryption.</summary>
    NotEncrypted,
    /// <summary>Encrypted traffic while this node has no key.</summary>
    KeyMissing,
    WrongCluster,
}
