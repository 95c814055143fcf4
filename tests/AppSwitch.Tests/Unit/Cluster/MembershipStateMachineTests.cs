using System.Net;
using AppSwitch.Agent.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>
/// The SWIM rules of <see cref="Membership"/> driven through its clock seam, without sockets or timers: alive →
/// suspect → dead, refutation by a higher incarnation, stale incarnations ignored, leave, rejoin, forgetting.
/// LAN profile: with 2 live members the suspicion timeout is 4 × probe interval = 4 s, no confirmations awaited.
/// </summary>
public class MembershipStateMachineTests
{
    private static readonly IPEndPoint SelfAddress = new(IPAddress.Parse("10.77.0.11"), 7946);
    private static readonly IPEndPoint PeerAddress = new(IPAddress.Parse("10.77.0.12"), 7946);
    private static readonly IPEndPoint MovedAddress = new(IPAddress.Parse("10.77.0.13"), 7946);
    private const long SuspicionMs = 4000;

    private long _now = 1_000_000;
    private readonly List<MemberEvent> _events = [];
    private readonly GossipOptions _options = new() { NodeName = "self" };
    private readonly Membership _membership;

    public MembershipStateMachineTests() =>
        _membership = new Membership("self", SelfAddress, _options, new BroadcastQueue(4096), e => { lock (_events) _events.Add(e); },
            NullLogger.Instance, () => _now);

    private MemberStatus? StatusOf(string name) => _membership.Find(name)?.Status;
    private List<MemberEventKind> Kinds() { lock (_events) return _events.Select(e => e.Kind).ToList(); }

    private void PeerAlive(ulong incarnation, IPEndPoint? at = null) => _membership.Handle(new Alive("peer", at ?? PeerAddress, incarnation, 0));

    [Fact]
    public void AnUnrefutedSuspicionBecomesDeathAtTheTimeoutNotBefore()
    {
        PeerAlive(1);
        _membership.SuspectFromProbe("peer", 1);
        Assert.Equal(MemberStatus.Suspect, StatusOf("peer"));
        _now += SuspicionMs - 1;
        _membership.Tick();
        Assert.Equal(MemberStatus.Suspect, StatusOf("peer"));
        _now += 1;
        _membership.Tick();
        Assert.Equal(MemberStatus.Dead, StatusOf("peer"));
        Assert.Equal([MemberEventKind.Joined, MemberEventKind.Suspect, MemberEventKind.Dead], Kinds());
        Assert.Equal(1, _membership.LiveCount);
    }

    [Fact]
    public void AHigherIncarnationRefutesTheSuspicionAndTheTimerNoLongerFires()
    {
        PeerAlive(1);
        _membership.Handle(new Suspect("peer", 1, "other"));
        PeerAlive(2);
        _now += SuspicionMs * 10;
        _membership.Tick();
        Assert.Equal(MemberStatus.Alive, StatusOf("peer"));
        Assert.Equal(2UL, _membership.Find("peer")!.Incarnation);
        Assert.Equal([MemberEventKind.Joined, MemberEventKind.Suspect, MemberEventKind.Alive], Kinds());
    }

    [Fact]
    public void StaleIncarnationsAreIgnored()
    {
        PeerAlive(5);
        _membership.Handle(new Suspect("peer", 4, "other"));
        _membership.Handle(new Dead("peer", 4, "other"));
        PeerAlive(4, MovedAddress);
        PeerAlive(5); // the same news again
        var peer = _membership.Find("peer")!;
        Assert.Equal((MemberStatus.Alive, 5UL, PeerAddress), (peer.Status, peer.Incarnation, peer.Address));
        Assert.Equal([MemberEventKind.Joined], Kinds());
    }

    [Fact]
    public void ALeaveIsTakenAsIsAndARejoinWithAHigherIncarnationBringsTheMemberBack()
    {
        PeerAlive(3);
        _membership.Handle(new Dead("peer", 3, "peer")); // from itself: a leave
        Assert.Equal(MemberStatus.Left, StatusOf("peer"));
        PeerAlive(3); // its old alive, still being gossiped
        Assert.Equal(MemberStatus.Left, StatusOf("peer"));
        PeerAlive(4, MovedAddress);
        var peer = _membership.Find("peer")!;
        Assert.Equal((MemberStatus.Alive, MovedAddress), (peer.Status, peer.Address));
        Assert.Equal([MemberEventKind.Joined, MemberEventKind.Left, MemberEventKind.Joined], Kinds());
    }

    [Fact]
    public void ADeadMemberIsForgottenAfterTheRetention()
    {
        PeerAlive(1);
        _membership.Handle(new Dead("peer", 1, "other"));
        _now += (long)_options.DeadMemberRetention.TotalMilliseconds;
        _membership.Tick();
        Assert.Equal(MemberStatus.Dead, StatusOf("peer"));
        _now += 1;
        _membership.Tick();
        Assert.Null(_membership.Find("peer"));
    }

    [Fact]
    public void ThisNodeRefutesSuspicionAndDeathAboutItselfAboveTheClaimedIncarnation()
    {
        Assert.Equal(1UL, _membership.LocalIncarnation);
        _membership.Handle(new Suspect("self", 1, "peer"));
        Assert.Equal(2UL, _membership.LocalIncarnation);
        _membership.Handle(new Dead("self", 7, "peer"));
        Assert.Equal(8UL, _membership.LocalIncarnation);
        _membership.Handle(new Suspect("self", 3, "peer")); // stale: nothing to refute
        Assert.Equal(8UL, _membership.LocalIncarnation);
        Assert.Equal(MemberStatus.Alive, StatusOf("self"));
        Assert.Empty(Kinds()); // events are about other members only
    }

    [Fact]
    public void EventsArePublishedAfterTheLockIsReleased()
    {
        // A reader that looks at the membership from another thread while handling an event: under the lock it
        // would wait for the lock its own publisher holds.
        var seen = new List<bool>();
        Membership? membership = null;
        membership = new Membership("self", SelfAddress, _options, new BroadcastQueue(4096),
            _ => seen.Add(Task.Run(() => membership!.Snapshot()).Wait(TimeSpan.FromSeconds(5))), NullLogger.Instance, () => _now);
        membership.Handle(new Alive("peer", PeerAddress, 1, 0));
        membership.SuspectFromProbe("peer", 1);
        _now += SuspicionMs;
        membership.Tick();
        Assert.Equal([true, true, true], seen);
    }

    [Fact]
    public void AStaleAccusationIsAnsweredWithTheCurrentIncarnationAgain()
    {
        var queue = new BroadcastQueue(4096);
        var membership = new Membership("self", SelfAddress, _options, queue, _ => { }, NullLogger.Instance, () => _now);
        membership.Handle(new Suspect("self", 1, "peer"));
        Assert.Equal(2UL, membership.LocalIncarnation);
        queue.Take(int.MaxValue, 0, transmitLimit: 1); // the refutation went out (and was lost on its way)

        membership.Handle(new Suspect("self", 1, "peer"));
        membership.Handle(new Dead("self", 1, "peer"));

        var resent = queue.Take(int.MaxValue, 0, transmitLimit: 1).Select(b => MessageCodec.Decode(b)).OfType<Alive>().Single();
        Assert.Equal(("self", 2UL), (resent.Node, resent.Incarnation));
        Assert.Equal(2UL, membership.LocalIncarnation); // no new incarnation: the accusation was already refuted
    }

    [Fact]
    public void ASuspicionExpiresLaterWhenThisNodesOwnHealthWorsenedMeanwhile()
    {
        int score = 0;
        var membership = new Membership("self", SelfAddress, _options, new BroadcastQueue(4096), _ => { }, NullLogger.Instance,
            () => _now, scaleByLocalHealth: t => t * (score + 1));
        membership.Handle(new Alive("peer", PeerAddress, 1, 0));
        membership.Handle(new Alive("other", MovedAddress, 1, 0));
        membership.SuspectFromProbe("peer", 1);
        score = 2; // this node starts failing probes itself: the suspect's refutation may be unread in its backlog

        _now += SuspicionMs;
        membership.Tick();
        Assert.Equal(MemberStatus.Suspect, membership.Find("peer")?.Status);
        _now += 2 * SuspicionMs - 1;
        membership.Tick();
        Assert.Equal(MemberStatus.Suspect, membership.Find("peer")?.Status);
        _now += 1;
        membership.Tick();
        Assert.Equal(MemberStatus.Dead, membership.Find("peer")?.Status);
    }

    [Fact]
    public void WithoutHelpersAWorseLocalHealthDoesNotDelayADeath()
    {
        // Two members: a failed probe of a dead peer raises the score too (no helper can nack), so it tells nothing.
        int score = 0;
        var membership = new Membership("self", SelfAddress, _options, new BroadcastQueue(4096), _ => { }, NullLogger.Instance,
            () => _now, scaleByLocalHealth: t => t * (score + 1));
        membership.Handle(new Alive("peer", PeerAddress, 1, 0));
        membership.SuspectFromProbe("peer", 1);
        score = 2;
        _now += SuspicionMs;
        membership.Tick();
        Assert.Equal(MemberStatus.Dead, membership.Find("peer")?.Status);
    }
}
