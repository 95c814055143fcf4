using AppSwitch.Agent.Table;

namespace AppSwitch.Agent.Interception;

/// <summary>An application under supervision: its table entry and the seccomp listener the launcher handed over.</summary>
internal sealed class AppSession(AppEntry app, int listenerFd)
{
    public AppEntry App { get; } = app;
    public int ListenerFd { get; } = listenerFd;
    /// <summary>Trapped calls served (touched only by the session's thread).</summary>
    public long Calls;

    public const int MaxSeenThreads = 4096, MaxKnownPids = 32;
    /// <summary>Threads seen making calls (session thread only), so each is looked up once.</summary>
    public HashSet<int> SeenThreads { get; } = [];
    /// <summary>Open pidfds and fdinfo files of the app's threads (session thread only; disposed when it ends).</summary>
    public ThreadHandles Handles { get; } = new();
    /// <summary>A node socket made ahead for the app's next connect (session thread only; disposed when it ends).</summary>
    public SpareSocket Spare { get; } = new();
    /// <summary>This session's slot in the in-flight journal.</summary>
    public int JournalSlot { get; init; } = -1;

    private int _sharesNodeNamespace = -1; // unknown until first asked

    /// <summary>
    /// Whether the app runs in the node's network namespace (--new-netns=false), learnt once from the calling thread
    /// (session thread only). An app in its own namespace cannot setns out of it: the launcher dropped CAP_SYS_ADMIN.
    /// </summary>
    public bool SharesNodeNamespace(int tid)
    {
        if (_sharesNodeNamespace < 0)
            _sharesNodeNamespace = Native.NetworkNamespace.OfThread(tid) == Native.NetworkNamespace.Own ? 1 : 0;
        return _sharesNodeNamespace == 1;
    }

    /// <summary>Releases what the session thread kept open for the app (when the app has exited).</summary>
    public void ReleaseHandles()
    {
        Spare.Dispose();
        Handles.Dispose();
    }
}
