namespace AppSwitch.Agent.Admission;

/// <summary>
/// How much of the control plane one caller and everyone together may hold at once. Generous for real use (a burst of a
/// hundred `ax run` of one uid, a few hundred CLI calls in flight) and far below the agent's fd limit.
/// </summary>
internal static class AdmissionLimits
{
    /// <summary>Launcher connections that have not sent their RUN frame, per uid; past it the uid's oldest is pushed out.</summary>
    public const int LauncherWaitingPerUid = 256;

    /// <summary>Launcher connections that have not sent their RUN frame, in total; past it the oldest is pushed out.</summary>
    public const int LauncherWaiting = 1024;

    /// <summary>Launchers past their RUN frame and not yet attached (each holds a thread), per uid; past it: refused.</summary>
    public const int LauncherHandshakesPerUid = 128;

    /// <summary>Launchers past their RUN frame and not yet attached, in total; past it: refused.</summary>
    public const int LauncherHandshakes = 512;

    /// <summary>Open connections to api.sock per uid, or to the REST port per remote address; past it: closed at once.</summary>
    public const int ApiConnectionsPerPeer = 256;

    /// <summary>Open connections to api.sock and the REST port together.</summary>
    public const int ApiConnections = 2048;
}
