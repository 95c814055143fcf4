using System.Diagnostics;
using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>Real nodes on 127.0.0.1 with intervals ~5× shorter than the LAN profile (probe 200 ms, gossip 50 ms).</summary>
[Collection(ClusterCollection.Name)]
public class GossipMembershipTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TestCluster.Deadline;

    [Fact]
    public async Task ThreeMembersJoinThroughOneNeighborAndSeeEachOther()
    {
        await using var cluster = new TestCluster();
        var a = await cluster.StartAsync("a");
        var b = await cluster.StartAsync("b");
        var c = await cluster.StartAsync("c");
        // Listed among its own neighbors only: it is the first node, nothing to wait for.
        Assert.Equal(0, await a.Node.JoinAsync([a.Address, $"localhost:{a.Node.BoundPort}"]));
        var clock = Stopwatch.StartNew();
        Assert.Equal(1, await b.Node.JoinAsync([b.Address, a.Address]));
        Assert.Equal(1, await c.Node.JoinAsync([a.Address]));
        var all = new[] { a, b, c };
        await Eventually.UntilAsync(() => all.All(m => m.AliveCount == 3), Deadline, "all to see 3 alive members",
            () => TestCluster.Describe(all));
        output.WriteLine($"3 members converged {clock.ElapsedMilliseconds} ms after the first join");
        Assert.Contains(b.Events, e => e.Kind == MemberEventKind.Joined && e.Member.Name == "c");
        Assert.Equal(c.Node.LocalEndPoint, a.View("c")!.Address);
        Assert.True(a.Node.Counters.MessagesReceived > 0 && a.Node.Counters.BytesSent > 0);
        Assert.Equal(0, a.Node.Counters.DecodeFailures + a.Node.Counters.AuthFailures + a.Node.Counters.WrongCluster);
    }

    [Fact]
    public async Task JoinRetriesUntilANeighborAnswers()
    {
        await using var cluster = new TestCluster();
        var b = await cluster.StartAsync("b");
        // a's port is reserved by starting it later on a port we pick now: start a, note its port, crash it, rejoin later.
        var early = await cluster.StartAsync("a");
        int port = early.Node.BoundPort;
        await cluster.CrashAsync(early);
        var join = b.Node.JoinAsync([$"127.0.0.1:{port}"]);
        await Task.Delay(300); // b retries against a closed port meanwhile
        Assert.False(join.IsCompleted);
        var options = TestCluster.FastOptions("a");
        options.BindPort = port;
        var a = await cluster.StartAsync(options);
        Assert.Equal(1, await join.WaitAsync(Deadline));
        await Eventually.UntilAsync(() => a.AliveCount == 2 && b.AliveCount == 2, Deadline, "a and b to see each other");
    }

    [Fact]
    public async Task AStateSetOnOneMemberReachesAllAndLateJoinersGetIt()
    {
        await using var cluster = new TestCluster();
        var members = await cluster.StartJoinedAsync("a", "b", "c");
        var (a, b, c) = (members[0], members[1], members[2]);

        var small = "apps: web 198.18.0.1"u8.ToArray();
        var clock = Stopwatch.StartNew();
        a.Node.SetLocalState(small);
        await Eventually.UntilAsync(() => members.All(m => m.View("a")!.State.Span.SequenceEqual(small)), Deadline, "the small state everywhere",
            () => TestCluster.Describe(members));
        output.WriteLine($"small state (piggy-backed) reached all in {clock.ElapsedMilliseconds} ms");

        var large = new byte[20_000];
        new Random(3).NextBytes(large);
        clock.Restart();
        b.Node.SetLocalState(large);
        await Eventually.UntilAsync(() => members.All(m => m.View("b")!.State.Span.SequenceEqual(large)), Deadline, "the large state everywhere",
            () => TestCluster.Describe(members));
        output.WriteLine($"large state (fetched over TCP) reached all in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(1UL, c.View("b")!.StateVersion);
        Assert.Contains(c.Events, e => e.Kind == MemberEventKind.Updated && e.Member.Name == "b" && e.Member.StateVersion == 1);

        a.Node.SetLocalState("v2"u8.ToArray());
        var d = await cluster.StartAsync("d");
        Assert.Equal(1, await d.Node.JoinAsync([c.Address]));
        await Eventually.UntilAsync(() => d.View("a")?.State.Span.SequenceEqual("v2"u8) == true && d.View("b")?.State.Length == large.Length,
            Deadline, "the late joiner to hold both states", () => TestCluster.Describe([d]));
        Assert.Equal(2UL, d.View("a")!.StateVersion);
    }

    [Fact]
    public async Task ACrashedMemberIsDeclaredDeadAndItsStateDisappears()
    {
        await using var cluster = new TestCluster();
        var members = await cluster.StartJoinedAsync("a", "b", "c");
        var (a, b, c) = (members[0], members[1], members[2]);
        c.Node.SetLocalState("servers: 198.18.0.3:80"u8.ToArray());
        await Eventually.UntilAsync(() => a.View("c")!.StateVersion == 1 && b.View("c")!.StateVersion == 1, Deadline, "c's state everywhere");

        var clock = Stopwatch.StartNew();
        await cluster.CrashAsync(c);
        var took = await Eventually.UntilAsync(() => a.View("c")!.Status == MemberStatus.Dead && b.View("c")!.Status == MemberStatus.Dead,
            Deadline, "c declared dead", () => TestCluster.Describe([a, b]));
        output.WriteLine($"crash detected by both in {took.TotalMilliseconds:F0} ms");
        foreach (var m in new[] { a, b })
        {
            Assert.Equal(0, m.View("c")!.State.Length);
            Assert.Equal(0UL, m.View("c")!.StateVersion);
            await Eventually.UntilAsync(() => m.EventsAbout("c").Any(e => e.Kind == MemberEventKind.Dead), Deadline, "a dead event");
            Assert.Equal(0, m.EventsAbout("c").Single(e => e.Kind == MemberEventKind.Dead).Member.State.Length);
            Assert.DoesNotContain(m.EventsAbout("c"), e => e.Kind == MemberEventKind.Left);
        }
    }

    [Fact]
    public async Task AGracefulLeaveIsSeenAsLeft()
    {
        await using var cluster = new TestCluster();
        var members = await cluster.StartJoinedAsync("a", "b", "c");
        var (a, b, c) = (members[0], members[1], members[2]);
        c.Node.SetLocalState("x"u8.ToArray());
        await Eventually.UntilAsync(() => a.View("c")!.StateVersion == 1 && b.View("c")!.StateVersion == 1, Deadline, "c's state everywhere");

        var clock = Stopwatch.StartNew();
        await c.Node.LeaveAsync(TimeSpan.FromSeconds(2));
        await cluster.CrashAsync(c);
        await Eventually.UntilAsync(() => a.View("c")!.Status == MemberStatus.Left && b.View("c")!.Status == MemberStatus.Left,
            Deadline, "c seen as left", () => TestCluster.Describe([a, b]));
        output.WriteLine($"leave seen by both {clock.ElapsedMilliseconds} ms after LeaveAsync started");
        foreach (var m in new[] { a, b })
        {
            Assert.Equal(0, m.View("c")!.State.Length);
            Assert.Contains(m.EventsAbout("c"), e => e.Kind == MemberEventKind.Left);
            Assert.DoesNotContain(m.EventsAbout("c"), e => e.Kind is MemberEventKind.Dead or MemberEventKind.Suspect);
        }
    }

    [Fact]
    public async Task AWronglySuspectedMemberRefutesAndStaysAlive()
    {
        await using var cluster = new TestCluster();
        var members = new List<TestMember>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var options = TestCluster.FastOptions(name);
            options.SuspicionMultiplier = 12; // 2.4 s to refute once the packets flow again
            var m = await cluster.StartAsync(options);
            if (members.Count > 0) await m.Node.JoinAsync([members[0].Address]);
            members.Add(m);
        }
        var (a, b, c) = (members[0], members[1], members[2]);
        await Eventually.UntilAsync(() => members.All(m => m.AliveCount == 3), Deadline, "3 members");
        ulong before = c.Node.LocalIncarnation;

        c.Isolated = true;
        await Eventually.UntilAsync(() => a.View("c")!.Status == MemberStatus.Suspect || b.View("c")!.Status == MemberStatus.Suspect,
            Deadline, "c suspected while its packets are dropped");
        c.Isolated = false;
        var took = await Eventually.UntilAsync(
            () => members.All(m => m.AliveCount == 3) && a.View("c")!.Incarnation > before && b.View("c")!.Incarnation > before,
            Deadline, "c to refute", () => TestCluster.Describe(members));
        output.WriteLine($"refuted {took.TotalMilliseconds:F0} ms after the packets flowed again; incarnation {before} -> {c.Node.LocalIncarnation}");
        Assert.True(c.Node.LocalIncarnation > before);
        foreach (var m in members)
            Assert.DoesNotContain(m.Events, e => e.Kind is MemberEventKind.Dead or MemberEventKind.Left);
        Assert.Contains(a.EventsAbout("c").Concat(b.EventsAbout("c")), e => e.Kind == MemberEventKind.Alive);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARestartedMemberSupersedesItsOldIncarnation(bool afterDeclaredDead)
    {
        await using var cluster = new TestCluster();
        var members = await cluster.StartJoinedAsync("a", "b", "c");
        var (a, b, oldC) = (members[0], members[1], members[2]);
        oldC.Node.SetLocalState("old 1"u8.ToArray());
        oldC.Node.SetLocalState("old 2"u8.ToArray());
        // A suspicion refuted bumps the incarnation: make the old life's incarnation > 1.
        oldC.Isolated = true;
        await Eventually.UntilAsync(() => a.View("c")!.Status == MemberStatus.Suspect || b.View("c")!.Status == MemberStatus.Suspect, Deadline, "c suspected");
        oldC.Isolated = false;
        await Eventually.UntilAsync(() => a.View("c")!.StateVersion == 2 && b.View("c")!.StateVersion == 2 && a.AliveCount == 3 && b.AliveCount == 3,
            Deadline, "old c alive with its state everywhere", () => TestCluster.Describe(members));
        ulong oldIncarnation = Math.Max(a.View("c")!.Incarnation, b.View("c")!.Incarnation);

        await cluster.CrashAsync(oldC);
        if (afterDeclaredDead)
            await Eventually.UntilAsync(() => a.View("c")!.Status == MemberStatus.Dead && b.View("c")!.Status == MemberStatus.Dead, Deadline, "old c dead");

        var clock = Stopwatch.StartNew();
        var newC = await cluster.StartAsync("c"); // same name, new port, incarnation 1, state version 1
        newC.Node.SetLocalState("new"u8.ToArray());
        Assert.Equal(1, await newC.Node.JoinAsync([a.Address]));
        var took = await Eventually.UntilAsync(() => new[] { a, b }.All(m =>
                m.View("c") is { Status: MemberStatus.Alive } v && v.Address.Equals(newC.Node.LocalEndPoint) &&
                v.Incarnation > oldIncarnation && v.State.Span.SequenceEqual("new"u8)),
            Deadline, "the new c to supersede the old", () => TestCluster.Describe([a, b, newC]));
        output.WriteLine($"restart superseded in {took.TotalMilliseconds:F0} ms (incarnation {oldIncarnation} -> {newC.Node.LocalIncarnation}, state version -> {newC.Node.LocalStateVersion})");
        Assert.True(newC.Node.LocalIncarnation > oldIncarnation);
        Assert.True(newC.Node.LocalStateVersion > 2);
        Assert.Equal(3, newC.AliveCount);
    }
}
