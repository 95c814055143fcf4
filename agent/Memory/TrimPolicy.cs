namespace AppSwitch.Agent.Memory;

/// <summary>
/// When <see cref="HeapTrimmer"/> gives memory back: the GC holds more than <see cref="Slack"/> beyond the heap that
/// survived its last collection, the agent allocated less than <see cref="QuietAllocation"/> since the previous
/// check (the burst is over: while work goes on the GC's own collections keep the heap at a steady size), and it
/// allocated more than <see cref="Slack"/> since the last trim (a heap that an aggressive collection could not shrink
/// is not collected again and again while the agent idles). Not "the GC collected on its own since the last trim":
/// a burst of app starts smaller than the GC's gen0 budget (tens of MiB here) triggers no collection of its own, and
/// its garbage then stayed resident for good, counted as the apps' cost (NOTES "appmem").
/// </summary>
public readonly record struct TrimPolicy(long Slack, long QuietAllocation)
{
    public static readonly TrimPolicy Default = new(Slack: 2L << 20, QuietAllocation: 1L << 20);

    public bool ShouldTrim(long committedBytes, long liveBytes, long allocatedSincePreviousCheck, long allocatedSinceLastTrim) =>
        allocatedSinceLastTrim > Slack && committedBytes - liveBytes > Slack && allocatedSincePreviousCheck < QuietAllocation;
}
