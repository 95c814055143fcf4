namespace AppSwitch.Agent.Admission;

/// <summary>Why a control connection was closed unserved; the metric label is <see cref="AdmissionRefusals.Label"/>.</summary>
internal enum AdmissionRefusal
{
    /// <summary>No complete frame or request head within the handshake timeout.</summary>
    Timeout,
    /// <summary>Pushed out of the waiting room by a newer connection (the oldest half-open one goes first).</summary>
    Evicted,
    /// <summary>The peer (uid, remote address) already holds as many as it may.</summary>
    PeerLimit,
    /// <summary>The endpoint already holds as many as it may from everyone.</summary>
    TotalLimit,
}
