namespace AppSwitch.Agent.Cluster;

/// <summary>
/// The timer of one suspected member: starts at the maximum timeout when confirmations are expected
/// (k ≥ 1), and each independent suspicion from another member brings the deadline closer (Lifeguard).
/// </summary>
internal sealed class Suspicion
{
    private readonly HashSet<string> _confirmedBy = new(StringComparer.Ordinal);
    private readonly int _k;
    private readonly TimeSpan _min, _max;
    private readonly long _startMs;

    public Suspicion(string from, int k, TimeSpan min, TimeSpan max, long nowMs)
    {
        _confirmedBy.Add(from);
        _k = k;
        _min = min;
        _max = max;
        _startMs = nowMs;
        DeadlineMs = nowMs + (long)(k < 1 ? min : max).TotalMilliseconds;
    }

    public long DeadlineMs { get; private set; }
    public long StartMs => _startMs;
    public int Confirmations => _confirmedBy.Count - 1;

    /// <summary>Moves the deadline later (local health awareness), never earlier.</summary>
    public void ExtendTo(long deadlineMs) => DeadlineMs = Math.Max(DeadlineMs, deadlineMs);

    /// <summary>True when <paramref name="from"/> is a new confirmation (worth re-broadcasting).</summary>
    public bool Confirm(string from, long nowMs)
    {
        if (_k < 1 || Confirmations >= _k) return false;
        if (!_confirmedBy.Add(from)) return false;
        DeadlineMs = _startMs + (long)ClusterTiming.SuspicionTimeoutAfter(Confirmations, _k, _min, _max).TotalMilliseconds;
        return true;
    }
}
