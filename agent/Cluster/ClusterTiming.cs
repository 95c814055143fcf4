namespace AppSwitch.Agent.Cluster;

/// <summary>How timeouts and limits scale with the cluster size N (the formulas of memberlist).</summary>
internal static class ClusterTiming
{
    /// <summary>multiplier × max(1, log10 N) × probe interval.</summary>
    public static TimeSpan SuspicionTimeout(int multiplier, int n, TimeSpan probeInterval)
    {
        double scale = Math.Max(1.0, Math.Log10(Math.Max(1, n)));
        return TimeSpan.FromTicks((long)(multiplier * scale * probeInterval.Ticks));
    }

    /// <summary>Transmissions of one broadcast: multiplier × ceil(log10(N + 1)).</summary>
    public static int RetransmitLimit(int multiplier, int n) => multiplier * (int)Math.Ceiling(Math.Log10(n + 1));

    /// <summary>The push/pull interval, multiplied by ceil(log2 N − log2 32) + 1 above 32 members.</summary>
    public static TimeSpan PushPullInterval(TimeSpan interval, int n)
    {
        const int threshold = 32;
        if (n <= threshold) return interval;
        double multiplier = Math.Ceiling(Math.Log2(n) - Math.Log2(threshold)) + 1;
        return interval * multiplier;
    }

    /// <summary>
    /// Lifeguard: the suspicion timeout falls from max towards min as independent confirmations arrive,
    /// logarithmically in the number of confirmations <paramref name="confirmations"/> out of the expected <paramref name="k"/>.
    /// </summary>
    public static TimeSpan SuspicionTimeoutAfter(int confirmations, int k, TimeSpan min, TimeSpan max)
    {
        if (k < 1) return min;
        double fraction = Math.Log(confirmations + 1.0) / Math.Log(k + 1.0);
        var timeout = TimeSpan.FromMilliseconds(Math.Floor(max.TotalMilliseconds - fraction * (max - min).TotalMilliseconds));
        return timeout < min ? min : timeout;
    }
}
