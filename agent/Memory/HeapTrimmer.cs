using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Memory;

/// <summary>
/// Gives memory the agent no longer uses back to the system once a burst of work is over. The GC collects only when
/// the agent allocates, so after a burst (thousands of vservices created through the API, many apps starting at
/// once) an idle agent kept its peak heap committed: the garbage of the burst counted in its RSS for good. Every
/// <see cref="Interval"/> this asks <see cref="TrimPolicy"/> and, when it says so, runs one aggressive full
/// collection, which compacts and decommits the free regions (ArrayPool trims its stale buffers on it too). A
/// collection of the agent's heap (a few MiB live) blocks for milliseconds; it runs only after a burst.
/// </summary>
public sealed partial class HeapTrimmer(ILogger<HeapTrimmer> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly TrimPolicy _policy = TrimPolicy.Default;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var allocated = GC.GetTotalAllocatedBytes();
        var allocatedAtTrim = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                var info = GC.GetGCMemoryInfo();
                if (_policy.ShouldTrim(info.TotalCommittedBytes, info.HeapSizeBytes, now - allocated, now - allocatedAtTrim))
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    allocatedAtTrim = GC.GetTotalAllocatedBytes();
                    LogTrimmed(logger, info.TotalCommittedBytes >> 20, GC.GetGCMemoryInfo().TotalCommittedBytes >> 20);
                }
                allocated = GC.GetTotalAllocatedBytes();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Idle after a burst: the GC heap went from {Before} MiB committed to {After} MiB")]
    private static partial void LogTrimmed(ILogger logger, long before, long after);
}
