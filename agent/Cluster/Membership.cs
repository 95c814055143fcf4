using System.Net;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// The member table and the SWIM rules, without I/O: alive/suspect/dead/leave handling with incarnations,
/// refutation, suspicion timers, replicated application states and their versions. Every change that others
/// must learn is queued on the <see cref="BroadcastQueue"/>; every change of another member is published as a
/// <see cref="MemberEvent"/> in order. Logs and events are collected under the lock and run after it is released
/// (<see cref="Locked"/>), so a slow log sink or event reader never holds up the gossip.
/// </summary>
internal sealed class Membership
{
    private readonly Lock _lock = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _effects = new();
    private readonly Lock _effectsLock = new();
    private readonly Dictionary<string, MemberState> _members = new(StringComparer.Ordinal);
    private readonly MemberState _self;
    private readonly GossipOptions _options;
    private readonly BroadcastQueue _broadcasts;
    private readonly Action<MemberEvent> _publish;
    private readonly ILogger _logger;
    private readonly Func<long> _clock;
    /// <summary>Called (after the lock) when this node refutes a suspicion or death of itself: local health.</summary>
    private readonly Action? _refuted;
    private readonly List<string> _probeOrder = [];
    /// <summary>The values of <see cref="_members"/> in a list, for random picks by index.</summary>
    private readonly List<MemberState> _all = [];
    private int _probeIndex;
    private bool _leaving;
    private TaskCompletionSource? _leaveSent;
    private volatile int _liveCount = 1;
    // Lifeguard: a node whose own health is poor (it is starved: acks and refutations reach it late) waits longer
    // before a suspicion expires, as it waits longer before probing; × (score + 1), ×1 when healthy or unaware.
    private readonly Func<TimeSpan, TimeSpan> _scaleByLocalHealth;
    private readonly GossipCounters? _counters;

    public Membership(string name, IPEndPoint address, GossipOptions options, BroadcastQueue broadcasts,
        Action<MemberEvent> publish, ILogger logger, Func<long>? clock = null, Action? refuted = null,
        Func<TimeSpan, TimeSpan>? scaleByLocalHealth = null, GossipCounters? counters = null)
    {
        _counters = counters;
        _refuted = refuted;
        _scaleByLocalHealth = scaleByLocalHealth ?? (t => t);
        _options = options;
        _broadcasts = broadcasts;
        _publish = publish;
        _logger = logger;
        _clock = clock ?? (() => Environment.TickCount64);
        _self = new MemberState(name, address) { Incarnation = 1, Status = MemberStatus.Alive, StatusSinceMs = _clock(), Protocol = options.Protocol };
        _members.Add(name, _self);
        _all.Add(_self);
        Broadcast(SelfAlive());
    }

    public string LocalName => _self.Name;

    /// <summary>Alive and suspect members, this node included: the N of the scaling formulas.</summary>
    public int LiveCount => _liveCount;

    public ulong LocalIncarnation { get { lock (_lock) return _self.Incarnation; } }
    public ulong LocalStateVersion { get { lock (_lock) return _self.HeldVersion; } }

    /// <summary>This node's state as last set (empty before any); the array held, not a copy: read only.</summary>
    public ReadOnlyMemory<byte> LocalState { get { lock (_lock) return _self.State; } }

    public bool HasOtherLiveMembers { get { lock (_lock) return _members.Values.Any(m => m != _self && m.IsLive); } }

    // ---- inbound membership messages ------------------------------------------------------------------------

    public void Handle(GossipMessage message)
    {
        _counters?.MembershipMessage();
        using (Locked())
        {
            switch (message)
            {
                case Alive a: AliveLocked(a); break;
                case Suspect s: SuspectLocked(s); break;
                case Dead d: DeadLocked(d); break;
                case StateNotice n: NoticeLocked(n); break;
            }
        }
    }

    /// <summary>A probe of <paramref name="name"/> at <paramref name="incarnation"/> failed.</summary>
    public void SuspectFromProbe(string name, ulong incarnation)
    {
        using (Locked()) SuspectLocked(new Suspect(name, incarnation, _self.Name));
    }

    /// <param name="passOn">Queue the news for gossip (false: the cluster knows it already, see <see cref="Merge"/>).</param>
    private void AliveLocked(Alive a, bool passOn = true)
    {
        long now = _clock();
        if (a.Node == _self.Name) { AliveAboutSelfLocked(a); return; }
        if (!_members.TryGetValue(a.Node, out var m))
        {
            m = new MemberState(a.Node, a.Address)
            {
                Incarnation = a.Incarnation, Status = MemberStatus.Alive, StatusSinceMs = now, KnownVersion = a.StateVersion,
            };
            _members.Add(a.Node, m);
            _all.Add(m);
            ChangeLiveCount(+1);
            if (passOn) Broadcast(a);
            Log(LogLevel.Information, "Gossip: member {Member} joined at {Address}", m.Name, m.Address);
            Publish(MemberEventKind.Joined, m);
            return;
        }
        if (a.Incarnation <= m.Incarnation)
        {
            if (a.Incarnation == m.Incarnation && a.Address.Equals(m.Address) && m.IsLive) NoteVersion(m, a.StateVersion);
            else if (a.Incarnation == m.Incarnation && !a.Address.Equals(m.Address))
                Log(LogLevel.Debug, "Gossip: ignoring {Member} at {Address}: incarnation {Incarnation} is already at {Known}",
                    a.Node, a.Address, a.Incarnation, m.Address);
            return;
        }
        var was = m.Status;
        bool moved = !a.Address.Equals(m.Address);
        m.Incarnation = a.Incarnation;
        m.Address = a.Address;
        m.Suspicion = null;
        if (was != MemberStatus.Alive)
        {
            m.Status = MemberStatus.Alive;
            m.StatusSinceMs = now;
            m.FetchAttempts = 0;
            m.NextFetchMs = 0;
            if (was != MemberStatus.Suspect) ChangeLiveCount(+1);
        }
        NoteVersion(m, a.StateVersion);
        if (passOn) Broadcast(a);
        switch (was)
        {
            case MemberStatus.Dead or MemberStatus.Left:
                Log(LogLevel.Information, "Gossip: member {Member} is back at {Address} (incarnation {Incarnation})", m.Name, m.Address, m.Incarnation);
                Publish(MemberEventKind.Joined, m);
                break;
            case MemberStatus.Suspect:
                Log(LogLevel.Information, "Gossip: member {Member} refuted its suspicion (incarnation {Incarnation})", m.Name, m.Incarnation);
                Publish(MemberEventKind.Alive, m);
                if (moved) Publish(MemberEventKind.Updated, m);
                break;
            default:
                if (moved)
                {
                    Log(LogLevel.Information, "Gossip: member {Member} moved to {Address} (incarnation {Incarnation})", m.Name, m.Address, m.Incarnation);
                    Publish(MemberEventKind.Updated, m);
                }
                break;
        }
    }

    /// <summary>
    /// Someone says we are alive: an old message, or our previous life (a restart with the same name) that the
    /// cluster still remembers at a higher incarnation or another address: supersede it.
    /// </summary>
    private void AliveAboutSelfLocked(Alive a)
    {
        if (_leaving) return;
        if (a.StateVersion > _self.KnownVersion) RaiseLocalVersionLocked(a.StateVersion);
        if (a.Incarnation < _self.Incarnation) return;
        if (a.Incarnation == _self.Incarnation && a.Address.Equals(_self.Address)) return;
        Log(LogLevel.Information, "Gossip: the cluster knows this node at {Address} with incarnation {Incarnation}; superseding it",
            a.Address, a.Incarnation);
        RefuteLocked(a.Incarnation);
    }

    private void SuspectLocked(Suspect s, bool passOn = true)
    {
        if (!_members.TryGetValue(s.Node, out var m)) return;
        long now = _clock();
        if (m == _self)
        {
            if (_leaving) return;
            if (s.Incarnation < _self.Incarnation) { AnswerStaleAccusationLocked(s.From, s.Incarnation); return; }
            Log(LogLevel.Information, "Gossip: {From} suspects this node (incarnation {Incarnation}); refuting", s.From, s.Incarnation);
            RefuteLocked(s.Incarnation);
            return;
        }
        if (s.Incarnation < m.Incarnation) return;
        if (m.Status == MemberStatus.Suspect)
        {
            if (m.Suspicion!.Confirm(s.From, now) && passOn) Broadcast(s);
            return;
        }
        if (!m.IsLive) return;
        m.Incarnation = s.Incarnation;
        m.Status = MemberStatus.Suspect;
        m.StatusSinceMs = now;
        int n = _liveCount;
        int k = _options.SuspicionMultiplier - 2;
        if (n - 2 < k) k = 0;
        var min = _scaleByLocalHealth(ClusterTiming.SuspicionTimeout(_options.SuspicionMultiplier, n, _options.ProbeInterval));
        var max = min * _options.SuspicionMaxTimeoutMultiplier;
        m.Suspicion = new Suspicion(s.From, k, min, max, now);
        _counters?.SuspicionRaised();
        if (passOn) Broadcast(s);
        Log(LogLevel.Information, "Gossip: member {Member} is suspect (by {From}, incarnation {Incarnation}, timeout {Min}..{Max} ms)",
            m.Name, s.From, s.Incarnation, (long)min.TotalMilliseconds, (long)(k < 1 ? min : max).TotalMilliseconds);
        Publish(MemberEventKind.Suspect, m);
    }

    private void DeadLocked(Dead d, bool passOn = true)
    {
        if (!_members.TryGetValue(d.Node, out var m)) return;
        if (d.Incarnation < m.Incarnation) return;
        if (m == _self)
        {
            if (_leaving) return;
            if (d.Incarnation < _self.Incarnation) { AnswerStaleAccusationLocked(d.From, d.Incarnation); return; }
            Log(LogLevel.Information, "Gossip: {From} declared this node dead (incarnation {Incarnation}); refuting", d.From, d.Incarnation);
            RefuteLocked(d.Incarnation);
            return;
        }
        if (!m.IsLive) return;
        m.Incarnation = d.Incarnation;
        m.Status = d.IsLeave ? MemberStatus.Left : MemberStatus.Dead;
        m.StatusSinceMs = _clock();
        m.Suspicion = null;
        m.State = [];
        m.HeldVersion = 0;
        ChangeLiveCount(-1);
        if (passOn) Broadcast(d);
        if (d.IsLeave) Log(LogLevel.Information, "Gossip: member {Member} left", m.Name);
        else Log(LogLevel.Information, "Gossip: member {Member} is dead (declared by {From})", m.Name, d.From);
        Publish(d.IsLeave ? MemberEventKind.Left : MemberEventKind.Dead, m);
    }

    private void RefuteLocked(ulong incarnation)
    {
        if (_refuted is not null) Defer(_refuted);
        _counters?.Refuted();
        _self.Incarnation = Math.Max(_self.Incarnation, incarnation) + 1;
        Broadcast(SelfAlive());
    }

    /// <summary>
    /// An accusation older than this node's incarnation means its sender missed the refutation (lost or unread in a
    /// starved peer's backlog: the refutation is sent only a few times). It is sent again, unchanged, so the accuser
    /// learns it before its timer declares this node dead; memberlist ignores such stale accusations.
    /// </summary>
    private void AnswerStaleAccusationLocked(string from, ulong incarnation)
    {
        if (from == _self.Name) return;
        Log(LogLevel.Debug, "Gossip: {From} still accuses this node at incarnation {Incarnation}; sending incarnation {Current} again",
            from, incarnation, _self.Incarnation);
        Broadcast(SelfAlive());
    }

    private Alive SelfAlive() => new(_self.Name, _self.Address, _self.Incarnation, _self.KnownVersion);

    // ---- application states ------------------------------------------------------------------------------

    public ulong SetLocalState(byte[] state)
    {
        using (Locked())
        {
            _self.State = state;
            _self.HeldVersion = _self.KnownVersion = _self.KnownVersion + 1;
            BroadcastLocalStateLocked();
            return _self.HeldVersion;
        }
    }

    /// <summary>The cluster remembers a newer version of our state (from an earlier life): continue above it.</summary>
    private void RaiseLocalVersionLocked(ulong seen)
    {
        _self.HeldVersion = _self.KnownVersion = seen + 1;
        Log(LogLevel.Information, "Gossip: the cluster remembers state version {Seen} of this node; now at {Version}", seen, _self.HeldVersion);
        BroadcastLocalStateLocked();
    }

    private void BroadcastLocalStateLocked() =>
        Broadcast(new StateNotice(_self.Name, _self.HeldVersion, _self.State.Length <= _options.InlineStateLimit ? _self.State : null));

    private void NoticeLocked(StateNotice n)
    {
        if (n.Node == _self.Name)
        {
            if (n.Version > _self.KnownVersion) RaiseLocalVersionLocked(n.Version);
            return;
        }
        if (!_members.TryGetValue(n.Node, out var m) || !m.IsLive) return;
        bool newer = n.Version > m.KnownVersion;
        if (newer) m.KnownVersion = n.Version;
        if (n.State is not null && n.Version > m.HeldVersion) ApplyStateLocked(m, n.Version, n.State);
        if (newer) Broadcast(n);
    }

    private void NoteVersion(MemberState m, ulong version)
    {
        if (version > m.KnownVersion) m.KnownVersion = version;
    }

    private void ApplyStateLocked(MemberState m, ulong version, byte[] state)
    {
        m.State = state;
        m.HeldVersion = version;
        if (version > m.KnownVersion) m.KnownVersion = version;
        m.FetchAttempts = 0;
        Log(LogLevel.Debug, "Gossip: state of {Member} is now version {Version} ({Bytes} bytes)", m.Name, version, state.Length);
        Publish(MemberEventKind.Updated, m);
    }

    /// <summary>Members whose newest state we lack and may fetch now (marked in flight); at most <paramref name="max"/>.</summary>
    public List<FetchJob> DueFetches(int max)
    {
        var jobs = new List<FetchJob>();
        if (max <= 0) return jobs;
        long now = _clock();
        lock (_lock)
        {
            foreach (var m in _members.Values)
            {
                if (m == _self || !m.IsLive || m.FetchInFlight || m.KnownVersion <= m.HeldVersion || now < m.NextFetchMs) continue;
                m.FetchInFlight = true;
                jobs.Add(new FetchJob(m.Name, m.Address, m.KnownVersion, m.FetchAttempts));
                if (jobs.Count >= max) break;
            }
        }
        return jobs;
    }

    public void FetchFinished(string name, StateResponse? response)
    {
        using (Locked())
        {
            if (!_members.TryGetValue(name, out var m)) return;
            m.FetchInFlight = false;
            if (m.IsLive && response?.State is not null && response.Node == name && response.Version > m.HeldVersion)
                ApplyStateLocked(m, response.Version, response.State);
            if (m.KnownVersion > m.HeldVersion)
            {
                m.FetchAttempts++;
                var backoff = _options.GossipInterval * Math.Pow(2, Math.Min(m.FetchAttempts, 8));
                var cap = TimeSpan.FromSeconds(10);
                m.NextFetchMs = _clock() + (long)(backoff < cap ? backoff : cap).TotalMilliseconds;
            }
        }
    }

    public StateResponse AnswerStateRequest(StateRequest request)
    {
        using (Locked())
        {
            if (request.Node == _self.Name)
            {
                if (request.Version > _self.KnownVersion) RaiseLocalVersionLocked(request.Version);
                return new StateResponse(_self.Name, _self.HeldVersion, _self.HeldVersion == 0 ? null : _self.State);
            }
            if (_members.TryGetValue(request.Node, out var m) && m.IsLive && m.HeldVersion > 0)
                return new StateResponse(m.Name, m.HeldVersion, m.State);
            return new StateResponse(request.Node, 0, null);
        }
    }

    // ---- push/pull ---------------------------------------------------------------------------------------

    public List<MemberDigest> Digest()
    {
        lock (_lock)
            return _members.Values
                .Select(m => new MemberDigest(m.Name, m.Address, m.Incarnation, m.Status, m.KnownVersion, m.HeldVersion, m.Protocol))
                .ToList();
    }

    /// <summary>States we hold that the peer (by its digest) lacks or holds older, up to <paramref name="budget"/> bytes.</summary>
    public List<StateBlob> StatesNewerThan(IReadOnlyList<MemberDigest> theirs, int budget)
    {
        var held = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var d in theirs) held[d.Name] = d.HeldVersion;
        var blobs = new List<StateBlob>();
        lock (_lock)
        {
            foreach (var m in _members.Values)
            {
                if (!m.IsLive || m.HeldVersion == 0) continue;
                if (held.TryGetValue(m.Name, out var version) && version >= m.HeldVersion) continue;
                int cost = m.State.Length + m.Name.Length * 3 + 16;
                if (cost > budget) continue;
                budget -= cost;
                blobs.Add(new StateBlob(m.Name, m.HeldVersion, m.State));
            }
        }
        return blobs;
    }

    /// <summary>The protocol range a member told (directly or through a digest), or null when unknown.</summary>
    public ProtocolRange? ProtocolOf(string name)
    {
        lock (_lock) return _members.TryGetValue(name, out var m) ? m.Protocol : null;
    }

    /// <summary>
    /// Merges a peer's view. As in memberlist, a member the peer believes dead is only suspected here (it
    /// gets its own chance to refute); a departure is taken as is. <paramref name="senderProtocol"/> is the range
    /// the sender itself announced (null: keep what is known).
    /// </summary>
    public void Merge(string sender, IReadOnlyList<MemberDigest> members, IReadOnlyList<StateBlob> states, ProtocolRange? senderProtocol = null)
    {
        using (Locked())
        {
            // A node that knew no one (it is joining) learns the cluster's own view: passing each member on would be
            // old news to everyone else, N messages × the retransmit limit from every joiner (N² while N join). What
            // this node learns then still reaches those who lack it by their push/pulls; it passes on its own alive.
            bool passOn = _liveCount > 1;
            foreach (var e in members)
            {
                switch (e.Status)
                {
                    case MemberStatus.Alive: AliveLocked(new Alive(e.Name, e.Address, e.Incarnation, e.KnownVersion), passOn); break;
                    case MemberStatus.Left: DeadLocked(new Dead(e.Name, e.Incarnation, e.Name), passOn); break;
                    default: SuspectLocked(new Suspect(e.Name, e.Incarnation, sender), passOn); break;
                }
                if (e.Name == _self.Name)
                {
                    if (e.KnownVersion > _self.KnownVersion && !_leaving) RaiseLocalVersionLocked(e.KnownVersion);
                }
                else if (_members.TryGetValue(e.Name, out var m) && m.IsLive) NoteVersion(m, e.KnownVersion);
                if (e.Protocol is { } range && e.Name != _self.Name && _members.TryGetValue(e.Name, out var known) && e.Incarnation >= known.Incarnation)
                    known.Protocol = range;
            }
            foreach (var b in states)
            {
                if (b.Name == _self.Name)
                {
                    if (b.Version > _self.KnownVersion && !_leaving) RaiseLocalVersionLocked(b.Version);
                    continue;
                }
                if (_members.TryGetValue(b.Name, out var m) && m.IsLive && b.Version > m.HeldVersion) ApplyStateLocked(m, b.Version, b.State);
            }
            if (senderProtocol is { } told && sender != _self.Name && _members.TryGetValue(sender, out var peer)) peer.Protocol = told;
        }
    }

    // ---- leaving, timers, choices ------------------------------------------------------------------------

    /// <summary>Marks this node as leaving and queues its departure; the task completes once it was gossiped enough.</summary>
    public Task Leave()
    {
        using (Locked())
        {
            if (_leaveSent is not null) return _leaveSent.Task;
            _leaving = true;
            _self.Status = MemberStatus.Left;
            _self.StatusSinceMs = _clock();
            ChangeLiveCount(-1);
            _leaveSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Broadcast(new Dead(_self.Name, _self.Incarnation, _self.Name), _leaveSent);
            return _leaveSent.Task;
        }
    }

    /// <summary>Expires suspicions (declaring those members dead) and forgets long-dead members.</summary>
    public void Tick()
    {
        long now = _clock();
        using (Locked())
        {
            List<MemberState>? expired = null;
            List<string>? forgotten = null;
            long retention = (long)Math.Min(_options.DeadMemberRetention.TotalMilliseconds, long.MaxValue / 4);
            foreach (var m in _members.Values)
            {
                if (m.Status == MemberStatus.Suspect && m.Suspicion!.DeadlineMs <= now)
                {
                    if (!ExtendedByLocalHealthLocked(m, now)) (expired ??= []).Add(m);
                }
                else if (m != _self && !m.IsLive && now - m.StatusSinceMs > retention) (forgotten ??= []).Add(m.Name);
            }
            if (expired is not null)
                foreach (var m in expired)
                {
                    Log(LogLevel.Information, "Gossip: suspicion of {Member} expired after {Ms} ms ({Confirmations} confirmations)",
                        m.Name, now - m.StatusSinceMs, m.Suspicion!.Confirmations);
                    DeadLocked(new Dead(m.Name, m.Incarnation, _self.Name));
                }
            if (forgotten is not null)
                foreach (var name in forgotten)
                    if (_members.Remove(name, out var gone)) _all.Remove(gone);
        }
    }

    /// <summary>
    /// Lifeguard once more when the timer fires: a node whose own health got worse since the suspicion started (it
    /// fails probes itself, so the suspect's refutation may sit unread in its backlog) waits as long as its score now
    /// says. Only with helpers (3+ live members): then a probe of a really dead member is nacked and raises no score.
    /// </summary>
    private bool ExtendedByLocalHealthLocked(MemberState m, long now)
    {
        if (_liveCount < 3) return false;
        var timeout = ClusterTiming.SuspicionTimeout(_options.SuspicionMultiplier, _liveCount, _options.ProbeInterval);
        long deadline = m.Suspicion!.StartMs + (long)_scaleByLocalHealth(timeout).TotalMilliseconds;
        if (deadline <= now) return false;
        m.Suspicion.ExtendTo(deadline);
        Log(LogLevel.Information, "Gossip: suspicion of {Member} extended to {Ms} ms: this node's own health is poor",
            m.Name, deadline - m.Suspicion.StartMs);
        return true;
    }

    /// <summary>Round-robin over a shuffled list of live members, reshuffled at each pass (as memberlist).</summary>
    public ProbeTarget? NextProbeTarget()
    {
        lock (_lock)
        {
            for (int tries = 0; tries <= _probeOrder.Count + 1; tries++)
            {
                if (_probeIndex >= _probeOrder.Count)
                {
                    _probeOrder.Clear();
                    foreach (var member in _members.Values) if (member != _self && member.IsLive) _probeOrder.Add(member.Name);
                    Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_probeOrder));
                    _probeIndex = 0;
                    if (_probeOrder.Count == 0) return null;
                }
                var name = _probeOrder[_probeIndex++];
                if (_members.TryGetValue(name, out var m) && m != _self && m.IsLive) return new ProbeTarget(m.Name, m.Address, m.Incarnation, m.Status == MemberStatus.Suspect);
            }
            return null;
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> distinct random members of the kind asked. Random picks by index first (memberlist's
    /// kRandomNodes: O(count) when most members qualify, and this runs every gossip round and probe); a scan of all
    /// members only when the picks found too few (few qualify, as dead members for a reconnect).
    /// </summary>
    public List<Peer> RandomPeers(int count, PeerChoice choice, string? exclude = null)
    {
        long now = _clock();
        var chosen = new List<Peer>(count);
        if (count <= 0) return chosen;
        lock (_lock)
        {
            int tries = 4 * count + 8;
            for (int i = 0; i < tries && chosen.Count < count && _all.Count > 1; i++)
            {
                var m = _all[Random.Shared.Next(_all.Count)];
                if (Qualifies(m, choice, exclude, now) && !chosen.Exists(p => p.Name == m.Name)) chosen.Add(new Peer(m.Name, m.Address));
            }
            if (chosen.Count == count) return chosen;
            chosen.Clear();
            foreach (var m in _all)
                if (Qualifies(m, choice, exclude, now)) chosen.Add(new Peer(m.Name, m.Address));
        }
        if (chosen.Count > count)
        {
            for (int i = 0; i < count; i++)
            {
                int j = Random.Shared.Next(i, chosen.Count);
                (chosen[i], chosen[j]) = (chosen[j], chosen[i]);
            }
            chosen.RemoveRange(count, chosen.Count - count);
        }
        return chosen;
    }

    private bool Qualifies(MemberState m, PeerChoice choice, string? exclude, long now)
    {
        if (m == _self || m.Name == exclude) return false;
        return choice switch
        {
            PeerChoice.Alive => m.Status == MemberStatus.Alive,
            PeerChoice.GossipTargets => m.IsLive ||
                (m.Status == MemberStatus.Dead && now - m.StatusSinceMs < (long)_options.GossipToTheDeadTime.TotalMilliseconds),
            PeerChoice.Dead => m.Status == MemberStatus.Dead,
            _ => false,
        };
    }

    public List<MemberInfo> Snapshot()
    {
        lock (_lock) return _members.Values.Select(m => m.ToInfo(m == _self)).ToList();
    }

    public MemberInfo? Find(string name)
    {
        lock (_lock) return _members.TryGetValue(name, out var m) ? m.ToInfo(m == _self) : null;
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    /// <summary>Under the lock, at each change into or out of alive/suspect (a count, not a scan: N changes while N join).</summary>
    private void ChangeLiveCount(int delta) => _liveCount += delta;

    private void Publish(MemberEventKind kind, MemberState m)
    {
        var e = new MemberEvent(kind, m.ToInfo(isLocal: false)); // the snapshot of now, published after the lock
        Defer(() => _publish(e));
    }

    /// <summary>Logs after the lock; the arguments are taken now.</summary>
    private void Log(LogLevel level, string template, params object?[] args)
    {
        if (!_logger.IsEnabled(level)) return;
#pragma warning disable CA2254 // the templates are the constants of the callers
        Defer(() => _logger.Log(level, template, args));
#pragma warning restore CA2254
    }

    /// <summary>Queues an effect of a change made under the lock; the queue keeps the order of the changes.</summary>
    private void Defer(Action effect) => _effects.Enqueue(effect);

    /// <summary>Takes the lock; disposing releases it and then runs the effects queued meanwhile.</summary>
    private EffectScope Locked()
    {
        _lock.Enter();
        return new EffectScope(this);
    }

    private readonly ref struct EffectScope(Membership owner)
    {
        public void Dispose()
        {
            owner._lock.Exit();
            owner.RunEffects();
        }
    }

    /// <summary>One thread at a time runs the queued effects in order; a thread that finds another running them
    /// leaves its own to it (the loop re-checks after releasing, so none is stranded).</summary>
    private void RunEffects()
    {
        while (!_effects.IsEmpty)
        {
            if (!_effectsLock.TryEnter()) return;
            try
            {
                while (_effects.TryDequeue(out var effect))
                {
                    try { effect(); }
                    catch (Exception e) { _logger.LogError(e, "Gossip: a membership event handler failed"); }
                }
            }
            finally { _effectsLock.Exit(); }
        }
    }

    private void Broadcast(GossipMessage message, TaskCompletionSource? done = null)
    {
        string key = message switch
        {
            Alive a => "m:" + a.Node,
            Suspect s => "m:" + s.Node,
            Dead d => "m:" + d.Node,
            StateNotice n => "s:" + n.Node,
            _ => throw new ArgumentException($"{message.Type} is not broadcast"),
        };
        _broadcasts.Enqueue(key, MessageCodec.Encode(message), done);
    }
}
