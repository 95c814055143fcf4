namespace AppSwitch.Agent.Routing;

/// <summary>
/// Whether this node holds the cluster's table yet. A restarted agent takes its apps' calls back before its first
/// push/pull has brought the other nodes' servers: until then an address it does not know may be another node's
/// virtual IP, so a connect the node's network cannot reach is held (<see cref="ConnectTarget.UntilClusterSynced"/>)
/// instead of failing. Synced when the replicator's first exchange lands, at once without peers to wait for, and at
/// the latest after the bound the replicator sets, so a node whose peers are all gone delays nobody for long.
/// </summary>
public sealed class ClusterReadiness
{
    /// <summary>How long a node waits at most for its first exchange before deciding on what it has.</summary>
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(3);

    private readonly TaskCompletionSource<string> _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A node that has nothing to wait for (gossip off, unit tests).</summary>
    public static ClusterReadiness Synced()
    {
        var readiness = new ClusterReadiness();
        readiness.MarkSynced("no cluster to wait for");
        return readiness;
    }

    public bool IsSynced => _synced.Task.IsCompleted;

    /// <summary>Completes with the reason once synced (never faults).</summary>
    public Task<string> WhenSynced => _synced.Task;

    /// <summary>True the first time (the caller logs why); later calls change nothing.</summary>
    public bool MarkSynced(string reason) => _synced.TrySetResult(reason);

    /// <summary>Gives up waiting after <paramref name="bound"/>: held connects are decided on the table as it is then.</summary>
    public void ExpireAfter(TimeSpan bound) =>
        _ = Task.Delay(bound).ContinueWith(_ => MarkSynced($"no exchange within {bound.TotalSeconds:0.#} s"), TaskScheduler.Default);
}
