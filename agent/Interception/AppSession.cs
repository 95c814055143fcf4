using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Interception;

/// <summary>An application under supervision: its table entry and the seccomp listener the launcher handed over.</summary>
internal sealed class AppSession(AppEntry app, int listenerFd)
{
    public AppEntry App { get; } = app;
    public int ListenerFd { get; } = listenerFd;
    /// <summary>Trapped calls served (touched only by the session's thread).</summary>
    public long Calls;
}
