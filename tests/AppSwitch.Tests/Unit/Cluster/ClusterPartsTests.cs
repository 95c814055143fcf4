using AppSwitch.Agent.Cluster;
using Xunit;

namespace AppSwitch.Tests.Unit.Cluster;

public class ClusterPartsTests
{
    [Fact]
    public void TimeoutsAndLimitsScaleLikeMemberlist()
    {
        var second = TimeSpan.FromSeconds(1);
        Assert.Equal(TimeSpan.FromSeconds(4), ClusterTiming.SuspicionTimeout(4, 3, second));
        Assert.Equal(TimeSpan.FromSeconds(8), ClusterTiming.SuspicionTimeout(4, 100, second));
        Assert.Equal(4, ClusterTiming.RetransmitLimit(4, 3));
        Assert.Equal(12, ClusterTiming.RetransmitLimit(4, 100));
        Assert.Equal(TimeSpan.FromSeconds(30), ClusterTiming.PushPullInterval(TimeSpan.FromSeconds(30), 32));
        Assert.Equal(TimeSpan.FromSeconds(60), ClusterTiming.PushPullInterval(TimeSpan.FromSeconds(30), 64));
        Assert.Equal(TimeSpan.FromSeconds(90), ClusterTiming.PushPullInterval(TimeSpan.FromSeconds(30), 100));
        var min = TimeSpan.FromSeconds(4);
        var max = TimeSpan.FromSeconds(24);
        Assert.Equal(max, ClusterTiming.SuspicionTimeoutAfter(0, 2, min, max));
        Assert.True(ClusterTiming.SuspicionTimeoutAfter(1, 2, min, max) < max);
        Assert.Equal(min, ClusterTiming.SuspicionTimeoutAfter(2, 2, min, max));
        Assert.Equal(min, ClusterTiming.SuspicionTimeoutAfter(0, 0, min, max));
    }

    [Fact]
    public void ConfirmationsBringASuspicionDeadlineCloser()
    {
        var suspicion = new Suspicion("a", k: 2, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(24), nowMs: 1000);
        Assert.Equal(25_000, suspicion.DeadlineMs);
        Assert.False(suspicion.Confirm("a", 1100));
        Assert.True(suspicion.Confirm("b", 1100));
        Assert.True(suspicion.DeadlineMs < 25_000);
        Assert.True(suspicion.Confirm("c", 1200));
        Assert.Equal(5_000, suspicion.DeadlineMs);
        Assert.False(suspicion.Confirm("d", 1300));
    }

    [Fact]
    public void TheBroadcastQueueKeepsOneEntryPerKeyAndRetiresSentOnes()
    {
        var queue = new BroadcastQueue(maxItems: 16);
        var done = new TaskCompletionSource();
        queue.Enqueue("m:a", [1], done);
        queue.Enqueue("m:a", [2]);
        Assert.True(done.Task.IsCompleted); // replaced
        queue.Enqueue("s:a", [3, 3]);
        Assert.Equal(2, queue.Count);
        var first = queue.Take(budget: 100, overheadEach: 2, transmitLimit: 2);
        Assert.Equal(2, first.Count);
        Assert.Single(queue.Take(budget: 5, overheadEach: 2, transmitLimit: 2)); // the newest fits the budget; sent twice, it retires
        Assert.Equal(1, queue.Count);
        for (int i = 0; i < 40; i++) queue.Enqueue("m:" + i, [0]);
        Assert.Equal(16, queue.Count);
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1", null)]
    [InlineData("10.0.0.1:7000", "10.0.0.1", 7000)]
    [InlineData("node-a", "node-a", null)]
    [InlineData(" node-a:8000 ", "node-a", 8000)]
    [InlineData("::1", "::1", null)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData("[fd00::1]", "fd00::1", null)]
    public void NeighborSpellings(string text, string host, int? port)
    {
        Assert.Equal((host, port), NeighborAddress.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:0")]
    [InlineData("host:http")]
    [InlineData("[::1")]
    [InlineData("a:b:c")]
    public void BadNeighborSpellingsAreRefused(string text)
    {
        Assert.Throws<FormatException>(() => NeighborAddress.Parse(text));
    }

    [Fact]
    public void KeysAreBase64Of16_24Or32Bytes()
    {
        foreach (var length in new[] { 16, 24, 32 })
            Assert.Equal(length, GossipOptions.ParseKey(Convert.ToBase64String(new byte[length])).Length);
        var wrongLength = Assert.Throws<ArgumentException>(() => GossipOptions.ParseKey(Convert.ToBase64String(new byte[20])));
        Assert.Equal("the gossip key must be base64 of 16, 24 or 32 bytes, not of 20", wrongLength.Message);
        Assert.Throws<ArgumentException>(() => GossipOptions.ParseKey("not base64!"));
    }
}
