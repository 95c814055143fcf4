using System.Collections.Concurrent;

namespace AppSwitch.Agent.Cluster;

/// <summary>Outstanding probe sequence numbers: our own probes (awaited) and indirect probes run for others (forwarded).</summary>
internal sealed class AckRegistry
{
    private sealed class Waiter
    {
        public TaskCompletionSource<bool>? Probe;
        public Action? Forward;
        public long DeadlineMs;
        public int Nacks;
    }

    private readonly ConcurrentDictionary<ulong, Waiter> _waiters = new();
    private long _seq = Random.Shared.NextInt64(1, int.MaxValue);

    public ulong NextSeq() => (ulong)Interlocked.Increment(ref _seq);

    /// <summary>A task that becomes true when the ack arrives, false when abandoned or expired.</summary>
    public Task<bool> Expect(ulong seq, long deadlineMs)
    {
        var waiter = new Waiter { Probe = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously), DeadlineMs = deadlineMs };
        _waiters[seq] = waiter;
        return waiter.Probe.Task;
    }

    public void Forward(ulong seq, Action onAck, long deadlineMs) => _waiters[seq] = new Waiter { Forward = onAck, DeadlineMs = deadlineMs };

    public void Acked(ulong seq)
    {
        if (!_waiters.TryRemove(seq, out var waiter)) return;
        waiter.Probe?.TrySetResult(true);
        waiter.Forward?.Invoke();
    }

    /// <summary>A helper of an indirect probe did not reach the target (Lifeguard nack).</summary>
    public void Nacked(ulong seq)
    {
        if (_waiters.TryGetValue(seq, out var waiter)) Interlocked.Increment(ref waiter.Nacks);
    }

    public int NacksOf(ulong seq) => _waiters.TryGetValue(seq, out var waiter) ? Volatile.Read(ref waiter.Nacks) : 0;

    /// <summary>True while the ack of <paramref name="seq"/> has neither arrived nor expired.</summary>
    public bool IsPending(ulong seq) => _waiters.ContainsKey(seq);

    public void Abandon(ulong seq)
    {
        if (_waiters.TryRemove(seq, out var waiter)) waiter.Probe?.TrySetResult(false);
    }

    public void Expire(long nowMs)
    {
        foreach (var (seq, waiter) in _waiters)
            if (waiter.DeadlineMs <= nowMs && _waiters.TryRemove(seq, out _)) waiter.Probe?.TrySetResult(false);
    }
}
