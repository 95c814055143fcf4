namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Lifeguard's local health awareness: a score that rises when this node misses acks it should have got (probes
/// that failed without the helpers' nacks) or has to refute a suspicion of itself, and falls with each probe
/// answered in time. A node starved of CPU or network sees its score rise and waits longer (probe timeout and
/// interval × (score + 1)) before suspecting others, instead of blaming healthy peers for its own slowness.
/// Thread-safe.
/// </summary>
public sealed class LocalHealth(int maxMultiplier)
{
    private readonly Lock _lock = new();
    private int _score;

    /// <summary>0 = healthy; at most max multiplier − 1 (0 always when awareness is off: multiplier 1).</summary>
    public int Score { get { lock (_lock) return _score; } }

    /// <summary>Adds <paramref name="delta"/> within the bounds; returns (before, after).</summary>
    public (int Before, int After) Apply(int delta)
    {
        lock (_lock)
        {
            int before = _score;
            _score = Math.Clamp(_score + delta, 0, Math.Max(0, maxMultiplier - 1));
            return (before, _score);
        }
    }

    public TimeSpan Scale(TimeSpan timeout) => timeout * (Score + 1);
}
