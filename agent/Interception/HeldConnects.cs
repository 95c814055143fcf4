using AppSwitch.Agent.Native;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.State;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Connects held until this node has the cluster's table (<see cref="ClusterReadiness"/>): the app's call stays
/// unanswered — it blocks as for a slow connect — and is decided again once the first exchange lands or the bound
/// expires. Each held call is journaled, so an agent dying meanwhile leaves it to the next one (which handles it
/// from the start: nothing of it was done yet). No session thread waits: the resume runs on the thread pool.
/// Once disposed (the agent stops), a resume touches neither the call nor the journal: the call stays journaled.
/// </summary>
internal sealed class HeldConnects(ClusterReadiness readiness, InflightJournal journal, ILogger<HeldConnects> logger) : IDisposable
{
    private readonly Lock _lock = new();
    private bool _disposed;
    private int _count;

    /// <summary>Connects held now (for tests and logs).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Holds <paramref name="call"/> (its borrowed fds are closed with it: <paramref name="resume"/> may use only
    /// its answer, install and session) with the node socket it made; <paramref name="resume"/> owns the socket then.
    /// </summary>
    public void Hold(SyscallContext call, OwnedFd nodeSocket, Action<SyscallContext, OwnedFd> resume)
    {
        var slot = journal.Acquire();
        journal.Record(slot, call.Session.App.Id, call.Notification);
        var fd = nodeSocket.Release();
        Interlocked.Increment(ref _count);
        logger.LogDebug("App {AppId}: connect held until the cluster's table is here", call.Session.App.Id);
        // The readiness has its own bound; this one only guards against a readiness nobody ever completes.
        var bound = Task.Delay(ClusterReadiness.DefaultBound * 2);
        Task.WhenAny(readiness.WhenSynced, bound).ContinueWith(_ =>
        {
            using var socket = new OwnedFd(fd);
            // Under the lock: the journal is not disposed meanwhile, and a stopping agent leaves the call to the next one.
            lock (_lock)
            {
                Interlocked.Decrement(ref _count);
                if (_disposed) return;
                try
                {
                    if (Seccomp.IsValid(call.Listener, call.Id)) resume(call, socket);
                }
                catch (Exception e)
                {
                    logger.LogError(e, "App {AppId}: a held connect failed", call.Session.App.Id);
                    Seccomp.Fail(call.Listener, call.Id, Errno.ECONNREFUSED);
                }
                finally
                {
                    journal.Release(slot);
                }
            }
        }, TaskScheduler.Default);
    }

    public void Dispose()
    {
        lock (_lock) _disposed = true;
    }
}
