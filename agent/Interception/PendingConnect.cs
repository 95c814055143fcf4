using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// A blocking application's connect that the agent finishes asynchronously, so the notification loop never
/// waits on the network. Completed when its node socket becomes writable; dropped when the call dies.
/// </summary>
internal sealed class PendingConnect
{
    public required AppSession Session { get; init; }
    public required int Listener { get; init; }
    public required ulong NotificationId { get; init; }
    /// <summary>The node socket being connected (owned here until installed or closed).</summary>
    public required int NodeFd { get; init; }
    /// <summary>The application's fd number to replace; -1 when the app's socket already is the node socket.</summary>
    public required int TargetFd { get; init; }
    public bool CloseOnExec { get; init; }
    public long StartedTicks { get; } = Environment.TickCount64;
    /// <summary>The call, journaled until it is answered so that a restarted agent can finish it.</summary>
    public required Seccomp.Notification Notification { get; init; }
    public int JournalSlot { get; set; } = -1;

    /// <summary>Finishes the call with the connect's outcome; always releases NodeFd.</summary>
    public void Complete()
    {
        var outcome = SocketCalls.PendingError(NodeFd);
        SocketCalls.SetNonBlocking(NodeFd, false); // the application's socket was blocking
        if (outcome.IsError)
        {
            Seccomp.Fail(Listener, NotificationId, outcome.Error);
        }
        else if (TargetFd < 0 || !Seccomp.InstallFd(Listener, NotificationId, NodeFd, TargetFd, CloseOnExec).IsError)
        {
            Seccomp.Succeed(Listener, NotificationId, 0);
        }
        // else: the call was interrupted (ENOENT); nothing was installed and the socket is closed below.
        Libc.Close(NodeFd);
    }

    /// <summary>Gives up (the caller is gone or the agent stops): the node socket is closed, nothing leaks.</summary>
    public void Abandon() => Libc.Close(NodeFd);
}
