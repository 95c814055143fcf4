using System.Collections.Concurrent;
using System.Net;

namespace AppSwitch.Agent.L7;

/// <summary>How often each <see cref="RelayFailure"/> happened since start, and upstream failures per instance.</summary>
internal sealed class RelayFailureCounters
{
    // Instances are servers of the table (not names an app can invent), so the map stays as small as the cluster.
    private const int MaxInstances = 1024;
    private readonly long[] _counts = new long[RelayFailures.Count];
    private readonly ConcurrentDictionary<IPEndPoint, long> _byInstance = new();

    public void Count(RelayFailure failure, IPEndPoint? instance)
    {
        Interlocked.Increment(ref _counts[(int)failure]);
        if (instance is not null && RelayFailures.Of(failure).Side == RelaySide.Upstream
            && (_byInstance.ContainsKey(instance) || _byInstance.Count < MaxInstances))
            _byInstance.AddOrUpdate(instance, 1, (_, n) => n + 1);
    }

    public long this[RelayFailure failure] => Interlocked.Read(ref _counts[(int)failure]);

    /// <summary>Non-zero counters by name (e.g. client-stalled=1), then instance failures as upstream@IP:PORT.</summary>
    public Dictionary<string, long> Snapshot()
    {
        var snapshot = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var kind in RelayFailures.All)
            if (this[kind.Failure] is var n and > 0) snapshot[kind.Name] = n;
        foreach (var (instance, n) in _byInstance.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal)) snapshot[$"upstream@{instance}"] = n;
        return snapshot;
    }
}
