using System.Net;
using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>The receive loop's hand-off: alive/suspect/dead first, bounded, the oldest ordinary message dropped first.</summary>
public class MessageInboxTests
{
    private static readonly IPEndPoint From = new(IPAddress.Loopback, 7946);

    private static async Task<List<GossipMessage>> DrainAsync(MessageInbox inbox, int expected)
    {
        var handled = new List<GossipMessage>();
        using var stop = new CancellationTokenSource();
        var run = inbox.RunAsync((m, _) => { lock (handled) handled.Add(m); }, stop.Token);
        await Eventually.UntilAsync(() => { lock (handled) return handled.Count >= expected; }, TimeSpan.FromSeconds(5), $"{expected} messages handled");
        await stop.CancelAsync();
        await run;
        return handled;
    }

    [Fact]
    public async Task MembershipNewsOvertakesStateNoticesAndOverflowDropsTheOldestNotice()
    {
        var counters = new GossipCounters();
        var inbox = new MessageInbox(capacity: 4, counters);
        for (ulong v = 1; v <= 3; v++) inbox.Post(new StateNotice("a", v, null), From);
        inbox.Post(new Suspect("b", 1, "c"), From);
        inbox.Post(new StateNotice("a", 4, null), From); // full: notice 1 goes
        Assert.Equal(1, counters.InboxDropped);

        var handled = await DrainAsync(inbox, 4);
        Assert.IsType<Suspect>(handled[0]);
        Assert.Equal([2UL, 3UL, 4UL], handled.Skip(1).Cast<StateNotice>().Select(n => n.Version));
    }

    [Fact]
    public async Task WhenOnlyPriorityMessagesWaitTheNewestIsDroppedAndCounted()
    {
        var counters = new GossipCounters();
        var inbox = new MessageInbox(capacity: 2, counters);
        inbox.Post(new Alive("a", From, 1, 0), From);
        inbox.Post(new Dead("b", 1, "c"), From);
        inbox.Post(new StateNotice("a", 1, null), From);
        inbox.Post(new Suspect("d", 1, "c"), From);
        Assert.Equal(2, counters.InboxDropped);
        Assert.Equal([typeof(Alive), typeof(Dead)], (await DrainAsync(inbox, 2)).Select(m => m.GetType()));
    }
}
