using System.IO.Pipelines;
using System.Net;
using AppSwitch.Agent.L7;
using Xunit;

namespace AppSwitch.Tests.Unit.L7;

/// <summary>The relay's failure table and idle deadline (issue 16 point 5), without sockets.</summary>
public sealed class RelayFailureTests
{
    [Fact]
    public void Every_failure_has_one_row_with_the_status_the_http_specification_gives_it()
    {
        var statuses = Enum.GetValues<RelayFailure>().ToDictionary(f => RelayFailures.Of(f).Name, f => RelayFailures.Of(f).Status);
        Assert.Equal(new Dictionary<string, int?>
        {
            ["client-head-malformed"] = 400, ["client-head-too-large"] = 431, ["client-framing-invalid"] = 400, ["client-body-malformed"] = 400,
            ["client-closed"] = null, ["client-stalled"] = 408, ["client-idle"] = null, ["no-instance"] = 503, ["upstream-unreachable"] = 502,
            ["upstream-head-malformed"] = 502, ["upstream-framing-invalid"] = 502, ["upstream-body-malformed"] = 502, ["upstream-closed"] = 502,
            ["upstream-timeout"] = 504, ["upstream-stalled"] = 504,
        }, statuses);
        Assert.All(Enum.GetValues<RelayFailure>(), f => Assert.Equal(f, RelayFailures.Of(f).Failure));
        // A client's failure never leaves its connection open for another request: its stream is in an unknown state.
        Assert.All(RelayFailures.All.Where(k => k.Side == RelaySide.Client), k => Assert.False(k.KeepsConnection, k.Name));
    }

    [Fact]
    public void Counters_count_each_cause_and_upstream_failures_per_instance()
    {
        var counters = new RelayFailureCounters();
        var instance = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 40001);
        counters.Count(RelayFailure.UpstreamStalled, instance);
        counters.Count(RelayFailure.UpstreamClosed, instance);
        counters.Count(RelayFailure.ClientStalled, null);
        var expected = new Dictionary<string, long>
        {
            ["client-stalled"] = 1, ["upstream-closed"] = 1, ["upstream-stalled"] = 1, ["upstream@10.0.0.2:40001"] = 2,
        };
        Assert.Equal(expected, counters.Snapshot());
    }

    [Fact]
    public async Task A_sender_that_sends_nothing_for_the_idle_timeout_is_that_side_stalling()
    {
        var never = new Pipe();
        using var idle = new IdleDeadline(TimeSpan.FromMilliseconds(200), CancellationToken.None);
        var ends = new BodyEnds(never.Reader, RelayPeer.Client, new MemoryStream(), RelayPeer.Upstream(new IPEndPoint(IPAddress.Loopback, 9)), idle);
        var copy = BodyCopier.CopyAsync(ends, new BodyFraming(BodyKind.Length, 10));
        // Anti-hang bound only: the deadline, not this wait, ends the copy.
        var error = await Assert.ThrowsAsync<RelayFailureException>(() => copy.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((RelayFailure.ClientStalled, null), (error.Failure, error.Instance));
    }
}
