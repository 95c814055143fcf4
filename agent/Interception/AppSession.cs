using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Interception;

/// <summary>An application under supervision: its table entry and the seccomp listener the launcher handed over.</summary>
internal sealed class AppSession(AppEntry app, int listenerFd)
{
    public AppEntry App { get; } = app;
    public int ListenerFd { get; } = listenerFd;
    public long Calls;
}
