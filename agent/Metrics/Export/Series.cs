namespace AppSwitch.Agent.Metrics.Export;

/// <summary>
/// One time series of an instrument: a sum (counters), a last value (gauges, observable instruments), or histogram
/// buckets. Updated lock-free from any thread; read by the scrape.
/// </summary>
internal sealed class Series(LabelSet labels, double[]? bounds)
{
    private double _value;
    // Bucket i counts values ≤ bounds[i] (and > bounds[i-1]); the last one counts values above every bound (+Inf).
    private readonly long[]? _buckets = bounds is null ? null : new long[bounds.Length + 1];
    private double _sum;

    public LabelSet Labels { get; } = labels;
    public double[]? Bounds { get; } = bounds;
    public double Value => Volatile.Read(ref _value);
    public double Sum => Volatile.Read(ref _sum);

    public void Add(double amount) => AddTo(ref _value, amount);

    public void Set(double value) => Volatile.Write(ref _value, value);

    public void Observe(double value)
    {
        var index = Array.BinarySearch(Bounds!, value);
        Interlocked.Increment(ref _buckets![index >= 0 ? index : ~index]); // an exact bound belongs to its own bucket (le)
        AddTo(ref _sum, value);
    }

    /// <summary>The bucket counts as they are now (one copy: the cumulative counts and _count are computed from it).</summary>
    public long[] BucketCounts()
    {
        var copy = new long[_buckets!.Length];
        for (var i = 0; i < copy.Length; i++) copy[i] = Interlocked.Read(ref _buckets[i]);
        return copy;
    }

    private static void AddTo(ref double target, double amount)
    {
        double seen, next;
        do
        {
            seen = Volatile.Read(ref target);
            next = seen + amount;
        } while (Interlocked.CompareExchange(ref target, next, seen) != seen);
    }
}
