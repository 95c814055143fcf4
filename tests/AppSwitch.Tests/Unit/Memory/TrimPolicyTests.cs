using AppSwitch.Agent.Memory;
using Xunit;

namespace AppSwitch.Tests.Unit.Memory;

/// <summary>When the idle agent gives its GC heap back (agent/Memory/HeapTrimmer): after a burst, once, and never while busy.</summary>
public sealed class TrimPolicyTests
{
    private const long MiB = 1L << 20;
    private static readonly TrimPolicy Policy = new(Slack: 8 * MiB, QuietAllocation: 1 * MiB);

    [Fact]
    public void A_quiet_agent_holding_more_than_the_slack_beyond_its_live_heap_trims()
    {
        Assert.True(Policy.ShouldTrim(committedBytes: 40 * MiB, liveBytes: 6 * MiB, allocatedSincePreviousCheck: 100_000, allocatedSinceLastTrim: 30 * MiB));
    }

    [Fact]
    public void A_heap_within_the_slack_of_its_live_size_is_left_alone()
    {
        Assert.False(Policy.ShouldTrim(committedBytes: 14 * MiB, liveBytes: 6 * MiB, allocatedSincePreviousCheck: 0, allocatedSinceLastTrim: 30 * MiB));
    }

    [Fact]
    public void An_agent_still_allocating_is_left_to_the_GC()
    {
        Assert.False(Policy.ShouldTrim(committedBytes: 40 * MiB, liveBytes: 6 * MiB, allocatedSincePreviousCheck: 5 * MiB, allocatedSinceLastTrim: 30 * MiB));
    }

    [Fact]
    public void A_heap_the_last_trim_could_not_shrink_is_not_trimmed_again_until_the_agent_allocated_the_slack_anew()
    {
        Assert.False(Policy.ShouldTrim(committedBytes: 40 * MiB, liveBytes: 6 * MiB, allocatedSincePreviousCheck: 0, allocatedSinceLastTrim: 4 * MiB));
        Assert.True(Policy.ShouldTrim(committedBytes: 40 * MiB, liveBytes: 6 * MiB, allocatedSincePreviousCheck: 0, allocatedSinceLastTrim: 9 * MiB));
    }

    [Fact]
    public void A_burst_too_small_for_the_GC_to_collect_on_its_own_is_trimmed_once_it_is_over()
    {
        // 50 apps started: ~10 MiB of garbage, under the GC's gen0 budget; the old rule waited for a collection that never came.
        Assert.True(TrimPolicy.Default.ShouldTrim(committedBytes: 14 * MiB, liveBytes: 2 * MiB, allocatedSincePreviousCheck: 200_000, allocatedSinceLastTrim: 12 * MiB));
    }
}
