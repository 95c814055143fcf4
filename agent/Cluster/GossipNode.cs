using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// One cluster member: SWIM failure detection and piggy-backed dissemination over UDP, push/pull anti-entropy
/// and state transfer over TCP, on one port. Holds no statics with mutable state: many nodes can run in one
/// process. Runs on async sockets and a few timer loops (no thread of its own).
/// </summary>
public sealed class GossipNode : IAsyncDisposable
{
    private const int MaxConcurrentFetches = 4;
    private const int CompoundHeader = 2, CompoundPartHeader = 2;

    private readonly GossipOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly MessageGate _gate;
    private readonly UdpTransport _udp;
    private readonly StreamTransport _tcp;
    private readonly BroadcastQueue _broadcasts;
    /// <summary>This node's keyring notice: gossiped in datagrams of its own (see <see cref="GossipRound"/>).</summary>
    private readonly BroadcastQueue _keyringBroadcasts = new(16);
    private readonly AckRegistry _acks = new();
    private readonly MessageInbox _inbox;
    private readonly LocalHealth _health;
    private readonly Membership _membership;
    private readonly Channel<MemberEvent> _events;
    private readonly List<Task> _loops = [];
    private readonly HashSet<IPAddress> _localAddresses;
    private readonly PeerLogLimiter _unknownLog = new(TimeSpan.FromMinutes(1));
    /// <summary>Test-only (a protocol above this build's): a message of a type no build knows yet, piggy-backed on
    /// every probe, as the next release would send a new message type to older peers.</summary>
    private readonly byte[]? _nextReleaseMessage;
    private int _fetchesInFlight;
    private long _nextReconnectMs;
    private long _nextKeyringAnnounceMs;
    private int _disposed;

    private GossipNode(GossipOptions options, ILogger logger, Socket listener, Socket udp, IPEndPoint advertised)
    {
        _options = options;
        _logger = logger;
        Counters = new GossipCounters();
        BoundPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        LocalEndPoint = advertised;
        var keyring = options.InitialKeyring;
        var envelope = new PacketEnvelope(options.ClusterName, keyring?.Primary);
        _gate = new MessageGate(envelope, Counters, logger);
        _udp = new UdpTransport(udp, _gate, Counters, options.DropPacket, logger);
        _tcp = new StreamTransport(listener, _gate, Counters, options, logger);
        _broadcasts = new BroadcastQueue(options.MaxBroadcastQueue, Counters);
        _inbox = new MessageInbox(options.HandoffQueueDepth, Counters);
        _events = Channel.CreateBounded<MemberEvent>(
            new BoundedChannelOptions(options.EventCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = false },
            _ => Counters.EventDropped());
        _health = new LocalHealth(options.AwarenessMaxMultiplier);
        _membership = new Membership(options.NodeName, advertised, options, _broadcasts, e => _events.Writer.TryWrite(e), logger,
            refuted: () => ChangeHealth(1, "refuted a suspicion of this node"), scaleByLocalHealth: _health.Scale, counters: Counters);
        _localAddresses = LocalAddresses(options.BindAddress, advertised.Address);
        if (options.Protocol.Current > ProtocolVersions.Supported.Max)
            _nextReleaseMessage = MessageCodec.Encode(new UnknownMessage((byte)(MessageTypes.Newest + 1), "protocol"u8.ToArray()));
        _nextReconnectMs = Environment.TickCount64 + (long)options.ReconnectInterval.TotalMilliseconds;
        Keyring = new GossipKeyring(options.NodeName, keyring, envelope, _keyringBroadcasts, LiveOtherMembers, options.KeyringChanged, logger);
    }

    /// <summary>The keyring (disabled when the node started without a key): list, install, use, remove.</summary>
    public GossipKeyring Keyring { get; }

    private IReadOnlyList<string> LiveOtherMembers() =>
        [.. _membership.Snapshot().Where(m => !m.IsLocal && m.Status is MemberStatus.Alive or MemberStatus.Suspect).Select(m => m.Name)];

    public string Name => _options.NodeName;
    public string ClusterName => _options.ClusterName;
    /// <summary>The UDP and TCP port actually bound (useful with <see cref="GossipOptions.BindPort"/> 0).</summary>
    public int BoundPort { get; }
    /// <summary>The address and port other members use for this node.</summary>
    public IPEndPoint LocalEndPoint { get; }
    public GossipCounters Counters { get; }
    /// <summary>Changes of other members, in order. Read it (or events are dropped beyond <see cref="GossipOptions.EventCapacity"/>).</summary>
    public ChannelReader<MemberEvent> Events => _events.Reader;
    public ulong LocalIncarnation => _membership.LocalIncarnation;
    /// <summary>Lifeguard's local health score: 0 healthy; probes wait (score + 1) × longer.</summary>
    public int LocalHealthScore => _health.Score;

    /// <summary>
    /// Lifeguard's local health awareness is on (multiplier above 1): the score, and the two guards of a node that got
    /// no CPU (a stalled probe and a late gossip tick blame this node, not its peers). Off, the node is plain SWIM.
    /// </summary>
    private bool SelfAware => _options.AwarenessMaxMultiplier > 1;
    public ulong LocalStateVersion => _membership.LocalStateVersion;

    /// <summary>This node's application state as last set (empty before any).</summary>
    public ReadOnlyMemory<byte> LocalState => _membership.LocalState;

    /// <summary>Every member this node knows, itself included, with dead and departed ones for a while.</summary>
    public IReadOnlyList<MemberInfo> Members() => _membership.Snapshot();

    public MemberInfo? Member(string name) => _membership.Find(name);

    /// <summary>Binds UDP and TCP on the same port and starts the loops. Throws <see cref="ArgumentException"/>
    /// for invalid options and <see cref="SocketException"/> when the port is taken.</summary>
    public static Task<GossipNode> StartAsync(GossipOptions options, ILogger? logger = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancel.ThrowIfCancellationRequested();
        logger ??= NullLogger.Instance;
        var (listener, udp) = Bind(options.BindAddress, options.BindPort);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var advertised = new IPEndPoint(options.AdvertiseAddress ?? DefaultAdvertiseAddress(options.BindAddress), options.AdvertisePort ?? port);
        var node = new GossipNode(options, logger, listener, udp, advertised);
        node.Start();
        logger.LogInformation("Gossip: node {Node} of cluster {Cluster} listening on {Bind}:{Port} (advertised {Advertised}){Encrypted}",
            options.NodeName, options.ClusterName, options.BindAddress, port, advertised, node.Keyring.Enabled ? ", encrypted" : "");
        return Task.FromResult(node);
    }

    private static (Socket Listener, Socket Udp) Bind(IPAddress address, int port)
    {
        for (int attempt = 0; ; attempt++)
        {
            var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6) { listener.DualMode = true; udp.DualMode = true; }
                listener.Bind(new IPEndPoint(address, port));
                listener.Listen(512);
                udp.Bind(new IPEndPoint(address, ((IPEndPoint)listener.LocalEndPoint!).Port));
                udp.ReceiveBufferSize = Math.Max(udp.ReceiveBufferSize, 1 << 20);
                return (listener, udp);
            }
            catch (SocketException) when (port == 0 && attempt < 20)
            {
                // The kernel's free TCP port was taken for UDP: try another.
                listener.Dispose();
                udp.Dispose();
            }
            catch
            {
                listener.Dispose();
                udp.Dispose();
                throw;
            }
        }
    }

    private static IPAddress DefaultAdvertiseAddress(IPAddress bind)
    {
        if (!bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any)) return bind;
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                    if (unicast.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(unicast.Address)) return unicast.Address;
            }
        }
        catch (NetworkInformationException) { }
        return IPAddress.Loopback;
    }

    private static HashSet<IPAddress> LocalAddresses(IPAddress bind, IPAddress advertised)
    {
        var set = new HashSet<IPAddress> { advertised };
        if (!bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any)) { set.Add(bind); return set; }
        set.Add(IPAddress.Loopback);
        set.Add(IPAddress.IPv6Loopback);
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses) set.Add(unicast.Address);
        }
        catch (NetworkInformationException) { }
        return set;
    }

    private void Start()
    {
        var stop = _stop.Token;
        _loops.Add(Task.Run(() => _udp.RunAsync(OnDatagram, stop)));
        _loops.Add(Task.Run(() => _inbox.RunAsync(HandleQueued, stop)));
        _loops.Add(Task.Run(() => _tcp.RunAsync(OnConnectionAsync, stop)));
        _loops.Add(Task.Run(() => ProbeLoopAsync(stop)));
        _loops.Add(Task.Run(() => GossipLoopAsync(stop)));
        if (_options.PushPullInterval > TimeSpan.Zero) _loops.Add(Task.Run(() => PushPullLoopAsync(stop)));
    }

    // ---- public operations -------------------------------------------------------------------------------

    /// <summary>
    /// Joins through neighbors (<c>host</c> or <c>host:port</c>; the port defaults to this node's) by a push/pull
    /// with each. Retries with exponential backoff until at least one answers, or until another member has joined
    /// this node meanwhile (then 0). Returns at once with 0 when the list names no one but this node.
    /// Returns how many neighbors answered.
    /// </summary>
    public async Task<int> JoinAsync(IEnumerable<string> neighbors, CancellationToken cancel = default)
    {
        var list = neighbors.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct().ToList();
        foreach (var n in list) NeighborAddress.Parse(n); // malformed spellings fail now, not in the retry loop
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
        var token = linked.Token;
        var delay = _options.JoinRetryInitial;
        while (true)
        {
            int answered = 0, others = 0;
            foreach (var neighbor in list)
            {
                IReadOnlyList<IPEndPoint> endPoints;
                try { endPoints = await NeighborAddress.ResolveAsync(neighbor, LocalEndPoint.Port, token).ConfigureAwait(false); }
                catch (Exception e) when (e is SocketException or ArgumentException)
                {
                    others++;
                    _logger.LogDebug("Gossip: cannot resolve neighbor {Neighbor}: {Reason}", neighbor, e.Message);
                    continue;
                }
                foreach (var endPoint in endPoints)
                {
                    if (IsSelf(endPoint)) continue;
                    others++;
                    try
                    {
                        var peer = await PushPullAsync(endPoint, join: true, token).ConfigureAwait(false);
                        if (peer is null) continue; // it was this node after all
                        answered++;
                        _logger.LogInformation("Gossip: joined through {Neighbor} ({Peer} at {EndPoint})", neighbor, peer, endPoint);
                        break;
                    }
                    catch (Exception e) when (!token.IsCancellationRequested && IsExchangeFailure(e))
                    {
                        _logger.LogDebug("Gossip: neighbor {Neighbor} at {EndPoint} did not answer: {Reason}", neighbor, endPoint, e.Message);
                    }
                }
            }
            if (answered > 0)
            {
                _ = PullAfterJoinAsync(_stop.Token);
                return answered;
            }
            if (others == 0) return 0;
            if (_membership.HasOtherLiveMembers) return 0;
            _logger.LogInformation("Gossip: no neighbor answered ({Neighbors}); retrying in {Delay} ms",
                string.Join(",", list), (long)delay.TotalMilliseconds);
            await Task.Delay(delay, token).ConfigureAwait(false);
            delay = delay * 2 < _options.JoinRetryMax ? delay * 2 : _options.JoinRetryMax;
        }
    }

    /// <summary>
    /// One more push/pull, with a random member, once the broadcasts under way at the join have been sent their share
    /// of times (gossip interval × retransmit limit). A member that joined the seed just after this node's push/pull
    /// was gossiped to members that did not know this node yet, so this node may have missed it; the joiner does not
    /// pass on the whole cluster it learned (see <see cref="Membership.Merge"/>), so without this pull only the next
    /// periodic push/pull (minutes at a few hundred members) would tell it.
    /// </summary>
    private async Task PullAfterJoinAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(_options.GossipInterval * RetransmitLimit, stop).ConfigureAwait(false);
            var peer = _membership.RandomPeers(1, PeerChoice.Alive).FirstOrDefault();
            if (peer is not null) await PushPullAsync(peer.Address, join: false, stop, peer.Name).ConfigureAwait(false);
        }
        catch (Exception e) when (stop.IsCancellationRequested || IsExchangeFailure(e))
        {
            _logger.LogDebug("Gossip: the push/pull after the join failed: {Reason}", e.Message);
        }
    }

    /// <summary>
    /// Leaves gracefully: broadcasts the departure and waits until it was gossiped its share of times, or
    /// <paramref name="timeout"/>. The node keeps answering probes until disposed.
    /// </summary>
    public async Task LeaveAsync(TimeSpan timeout, CancellationToken cancel = default)
    {
        bool alone = !_membership.HasOtherLiveMembers;
        var sent = _membership.Leave();
        _logger.LogInformation("Gossip: leaving the cluster");
        if (alone) return;
        GossipRound();
        try { await sent.WaitAsync(timeout, cancel).ConfigureAwait(false); }
        catch (TimeoutException) { _logger.LogDebug("Gossip: leave not fully propagated within {Timeout}", timeout); }
    }

    /// <summary>
    /// Replaces this node's application state (a new version); others learn it quickly. The array is kept as it is,
    /// not copied (a state is megabytes at 100 000 table instances): the caller must not change it afterwards.
    /// </summary>
    public void SetLocalState(byte[] state)
    {
        if (state.Length > _options.MaxStateSize)
            throw new ArgumentException($"state of {state.Length} bytes exceeds the limit of {_options.MaxStateSize}");
        _membership.SetLocalState(state);
    }

    private bool IsSelf(IPEndPoint endPoint)
    {
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        if (address.Equals(LocalEndPoint.Address) && endPoint.Port == LocalEndPoint.Port) return true;
        return endPoint.Port == BoundPort && (_localAddresses.Contains(address) || IPAddress.IsLoopback(address) && _localAddresses.Contains(IPAddress.Loopback));
    }

    private static bool IsExchangeFailure(Exception e) =>
        e is SocketException or IOException or OperationCanceledException or GossipDecodeException or StreamRejectedException
            or InvalidDataException or ObjectDisposedException or GossipVersionException;

    // ---- inbound -----------------------------------------------------------------------------------------

    private void OnDatagram(GossipMessage message, IPEndPoint from)
    {
        switch (message)
        {
            case Compound compound:
                foreach (var part in compound.Parts) OnDatagram(part, from);
                break;
            case Ping ping:
                if (ping.Target == Name) SendUdp(from, new Ack(ping.Seq));
                else _logger.LogDebug("Gossip: ping from {Peer} for {Target}, but this is {Node}", from, ping.Target, Name);
                break;
            case IndirectPing request:
            {
                ulong seq = _acks.NextSeq();
                ulong original = request.Seq;
                _acks.Forward(seq, () => SendUdp(from, new Ack(original)), Environment.TickCount64 + (long)_options.ProbeInterval.TotalMilliseconds);
                SendUdp(request.TargetAddress, new Ping(seq, request.Target, Name));
                if (request.WantsNack) _ = NackIfUnansweredAsync(seq, from, original);
                break;
            }
            case Nack nack:
                Counters.NackReceived();
                _acks.Nacked(nack.Seq);
                break;
            case Ack ack:
                _acks.Acked(ack.Seq);
                break;
            case UnknownMessage unknown:
                Counters.UnknownMessage();
                if (_unknownLog.ShouldLog("type", from))
                    _logger.LogInformation("Gossip: skipping messages of type {Type} from {Peer}: a newer protocol than this node's {Range}",
                        unknown.Code, from, _options.Protocol);
                break;
            case Alive or Suspect or Dead or StateNotice or KeyringNotice:
                _inbox.Post(message, from); // off the receive loop: probes and acks never wait for the membership lock
                break;
            default:
                _logger.LogDebug("Gossip: {Type} from {Peer} is not a datagram message", message.Type, from);
                break;
        }
    }

    /// <summary>Lifeguard: tells the prober that the target did not answer us either, so its own path is fine.</summary>
    private async Task NackIfUnansweredAsync(ulong seq, IPEndPoint prober, ulong original)
    {
        // 80% of the probe timeout: the prober counts nacks before its own probe interval ends.
        try { await Task.Delay(_options.ProbeTimeout * 0.8, _stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        if (_acks.IsPending(seq)) SendUdp(prober, new Nack(original));
    }

    private void ChangeHealth(int delta, string why)
    {
        var (before, after) = _health.Apply(delta);
        if (before == after) return;
        if (before == 0 || after == 0)
            _logger.LogInformation("Gossip: local health score {Before} -> {After} ({Why}); probes wait {Factor}x the usual time",
                before, after, why, after + 1);
        else _logger.LogDebug("Gossip: local health score {Before} -> {After} ({Why})", before, after, why);
    }

    /// <summary>The inbox's handler: membership and keyring news, one at a time.</summary>
    private void HandleQueued(GossipMessage message, IPEndPoint from)
    {
        try
        {
            if (message is KeyringNotice notice) Keyring.Handle(notice);
            else _membership.Handle(message);
        }
        catch (Exception e) { _logger.LogError(e, "Gossip: handling {Type} from {Peer} failed", message.Type, from); }
    }

    private async Task OnConnectionAsync(StreamConnection connection, CancellationToken cancel)
    {
        var first = await connection.ReadAsync(cancel).ConfigureAwait(false);
        switch (first)
        {
            case PushPull { Phase: PushPullPhase.Request } request:
            {
                Counters.PushPull();
                // A protocol-1 peer sends no range and must get the reply in its format (no range either).
                var ours = request.Versions is null ? (ProtocolRange?)null : _options.Protocol;
                if (request.Sender != Name && !AcceptPeerProtocol(request.Sender, request.Versions, connection.Remote))
                {
                    await connection.WriteAsync(new PushPull(PushPullPhase.Reply, false, Name, [], [], ours), cancel).ConfigureAwait(false);
                    break;
                }
                if (request.Sender != Name) _membership.Merge(request.Sender, request.Members, [], request.Versions ?? ProtocolVersions.Legacy);
                var states = _membership.StatesNewerThan(request.Members, _options.MaxFrameSize / 2);
                await connection.WriteAsync(new PushPull(PushPullPhase.Reply, false, Name, _membership.Digest(), states, ours), cancel).ConfigureAwait(false);
                var final = await connection.ReadAsync(cancel).ConfigureAwait(false);
                if (final is not PushPull { Phase: PushPullPhase.Final } last) throw new GossipDecodeException($"expected the last push/pull frame, got {final.Type}");
                if (request.Sender != Name) _membership.Merge(request.Sender, [], last.States);
                if (request.Join) _logger.LogDebug("Gossip: {Peer} joined through this node", request.Sender);
                break;
            }
            case StateRequest request:
                await connection.WriteAsync(_membership.AnswerStateRequest(request), cancel).ConfigureAwait(false);
                break;
            case Ping ping:
                if (ping.Target == Name) await connection.WriteAsync(new Ack(ping.Seq), cancel).ConfigureAwait(false);
                break;
            default:
                // Anything else sent reliably (too large for a datagram) is handled like a datagram.
                OnDatagram(first, connection.Remote);
                break;
        }
    }

    /// <summary>
    /// Checks a push/pull peer's protocol range (null: a protocol-1 peer) against ours; logs what the two speak when
    /// it is news, or why they cannot talk. False when there is no common version.
    /// </summary>
    private bool AcceptPeerProtocol(string peer, ProtocolRange? told, IPEndPoint at)
    {
        var theirs = told ?? ProtocolVersions.Legacy;
        if (ProtocolVersions.Common(_options.Protocol, theirs) is not { } common)
        {
            _logger.LogWarning("Gossip: refusing {Peer} at {Address}: it speaks protocol {Theirs}, this node {Ours}; no common version",
                peer, at, theirs, _options.Protocol);
            return false;
        }
        if (_membership.ProtocolOf(peer) != theirs && theirs != _options.Protocol)
            _logger.LogInformation("Gossip: {Peer} speaks protocol {Theirs}, this node {Ours}: version {Common} between them",
                peer, theirs, _options.Protocol, common);
        return true;
    }

    // ---- outbound ----------------------------------------------------------------------------------------

    private int RetransmitLimit => ClusterTiming.RetransmitLimit(_options.RetransmitMultiplier, _membership.LiveCount);

    /// <summary>Sends a message with as many queued broadcasts piggy-backed as fit in one datagram.</summary>
    private void SendUdp(IPEndPoint to, GossipMessage message, GossipMessage? also = null)
    {
        var encoded = MessageCodec.Encode(message);
        int budget = _options.MaxPacketSize - _gate.Overhead - CompoundHeader - CompoundPartHeader - encoded.Length;
        var extra = new List<byte[]>();
        if (also is not null)
        {
            var second = MessageCodec.Encode(also);
            extra.Add(second);
            budget -= second.Length + CompoundPartHeader;
        }
        if (_nextReleaseMessage is not null) { extra.Add(_nextReleaseMessage); budget -= _nextReleaseMessage.Length + CompoundPartHeader; }
        extra.AddRange(_broadcasts.Take(budget, CompoundPartHeader, RetransmitLimit, MessageCodec.MaxCompoundParts - 1 - extra.Count));
        _udp.Send(to, extra.Count == 0 ? encoded : Compose(encoded, extra));
    }

    private static byte[] Compose(byte[]? first, List<byte[]> parts)
    {
        var writer = new WireWriter(2048);
        writer.U8((byte)MessageType.Compound);
        writer.U8((byte)(parts.Count + (first is null ? 0 : 1)));
        if (first is not null) { writer.U16(first.Length); writer.Raw(first); }
        foreach (var part in parts) { writer.U16(part.Length); writer.Raw(part); }
        return writer.ToArray();
    }

    /// <summary>
    /// One gossip round: queued broadcasts to a few random members (fan-out). The keyring notice travels alone in
    /// its datagram: an agent older than the keyring cannot decode it and drops that datagram only, never a compound
    /// with probes or membership news (rolling upgrades keep failure detection intact).
    /// </summary>
    private void GossipRound()
    {
        var targets = _membership.RandomPeers(_options.GossipNodes, PeerChoice.GossipTargets);
        int budget = _options.MaxPacketSize - _gate.Overhead - CompoundHeader;
        int limit = RetransmitLimit;
        foreach (var target in targets)
        {
            var parts = _broadcasts.Take(budget, CompoundPartHeader, limit);
            if (parts.Count > 0) _udp.Send(target.Address, parts.Count == 1 ? parts[0] : Compose(null, parts));
            foreach (var notice in _keyringBroadcasts.Take(budget, 0, limit, maxCount: 1)) _udp.Send(target.Address, notice);
        }
    }

    // ---- loops -------------------------------------------------------------------------------------------

    private async Task ProbeLoopAsync(CancellationToken stop)
    {
        try
        {
            await StaggerAsync(_options.ProbeInterval, stop).ConfigureAwait(false);
            while (true)
            {
                long start = Environment.TickCount64;
                try { await ProbeAsync(stop).ConfigureAwait(false); }
                catch (Exception e) when (!stop.IsCancellationRequested) { _logger.LogError(e, "Gossip: probe failed unexpectedly"); }
                // The interval stretches with the local health score (Lifeguard), measured from the probe's start.
                long rest = (long)_health.Scale(_options.ProbeInterval).TotalMilliseconds - (Environment.TickCount64 - start);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, rest)), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// One SWIM probe: ping; after the probe timeout, ping-req through k members (and a TCP ping); no ack by
    /// the end of the probe interval makes the target suspect. Both times stretch with the local health score,
    /// which an answered probe lowers and a failed one raises by the nacks that did not come (Lifeguard).
    /// </summary>
    private async Task ProbeAsync(CancellationToken stop)
    {
        var target = _membership.NextProbeTarget();
        if (target is null) return;
        long start = Environment.TickCount64;
        var interval = _health.Scale(_options.ProbeInterval);
        var timeout = _health.Scale(_options.ProbeTimeout);
        ulong seq = _acks.NextSeq();
        var acked = _acks.Expect(seq, start + (long)interval.TotalMilliseconds * 2);
        int expectedNacks = 0;
        try
        {
            var ping = new Ping(seq, target.Name, Name);
            if (target.Suspected)
            {
                // Lifeguard's buddy system: tell a suspect directly, so it can refute even when the broadcast
                // of its suspicion is spent.
                SendUdp(target.Address, ping, new Suspect(target.Name, target.Incarnation, Name));
            }
            else SendUdp(target.Address, ping);
            if (await WithinAsync(acked, timeout, stop).ConfigureAwait(false))
            {
                ChangeHealth(-1, "probe answered");
                return;
            }

            foreach (var helper in _membership.RandomPeers(_options.IndirectChecks, PeerChoice.Alive, exclude: target.Name))
            {
                // Only a peer that said it speaks protocol 2 may get the appended nack flag.
                bool nack = _membership.ProtocolOf(helper.Name) is { } range && ProtocolVersions.Common(_options.Protocol, range) >= ProtocolVersions.Nacks;
                if (nack) expectedNacks++;
                SendUdp(helper.Address, new IndirectPing(seq, target.Name, target.Address, Name, nack));
            }
            var remaining = interval - TimeSpan.FromMilliseconds(Environment.TickCount64 - start);
            if (remaining < TimeSpan.FromMilliseconds(1)) remaining = TimeSpan.FromMilliseconds(1);
            var anyAck = _options.TcpFallbackProbe ? FirstTrue(acked, TcpPingAsync(target, remaining, stop)) : acked;
            if (await WithinAsync(anyAck, remaining, stop).ConfigureAwait(false)) return;
            if (stop.IsCancellationRequested) return;
            if (SelfAware && Environment.TickCount64 - start > (long)interval.TotalMilliseconds * 2)
            {
                // This node itself got no CPU for longer than the whole probe: the answers may be waiting unread.
                ChangeHealth(1, "this node stalled during a probe");
                return;
            }
            // Helpers that reached neither the target nor us with a nack point at this node's own trouble.
            int missedNacks = expectedNacks > 0 ? expectedNacks - Math.Min(expectedNacks, _acks.NacksOf(seq)) : 1;
            ChangeHealth(missedNacks, $"probe of {target.Name} failed, {missedNacks} nack(s) missing");
            _logger.LogDebug("Gossip: probe of {Member} at {Address} failed", target.Name, target.Address);
            _membership.SuspectFromProbe(target.Name, target.Incarnation);
        }
        finally { _acks.Abandon(seq); }
    }

    private async Task<bool> TcpPingAsync(ProbeTarget target, TimeSpan timeout, CancellationToken stop)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
        limit.CancelAfter(timeout);
        try
        {
            using var connection = await _tcp.ConnectAsync(target.Address, limit.Token).ConfigureAwait(false);
            ulong seq = _acks.NextSeq();
            await connection.WriteAsync(new Ping(seq, target.Name, Name), limit.Token).ConfigureAwait(false);
            return await connection.ReadAsync(limit.Token).ConfigureAwait(false) is Ack ack && ack.Seq == seq;
        }
        catch (Exception e) when (IsExchangeFailure(e)) { return false; }
    }

    private static async Task<bool> WithinAsync(Task<bool> task, TimeSpan timeout, CancellationToken stop)
    {
        try { return await task.WaitAsync(timeout, stop).ConfigureAwait(false); }
        catch (TimeoutException) { return false; }
        catch (OperationCanceledException) { return false; }
    }

    private static async Task<bool> FirstTrue(Task<bool> a, Task<bool> b)
    {
        var pending = new List<Task<bool>> { a, b };
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            if (done.IsCompletedSuccessfully && done.Result) return true;
            pending.Remove(done);
        }
        return false;
    }

    private async Task GossipLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.GossipInterval);
        long lastTick = Environment.TickCount64;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    // After a stretch without CPU the refutations that arrived meanwhile are still in the socket and
                    // the inbox: give them a round before expiring suspicions on stale knowledge.
                    long now = Environment.TickCount64;
                    bool starved = SelfAware && now - lastTick > (long)_options.GossipInterval.TotalMilliseconds * 5;
                    lastTick = now;
                    if (starved) _logger.LogDebug("Gossip: the gossip loop ran late; suspicions expire from the next round");
                    else _membership.Tick();
                    _acks.Expire(Environment.TickCount64);
                    StartFetches(stop);
                    MaybeReconnect(stop);
                    MaybeAnnounceKeyring();
                    GossipRound();
                }
                catch (Exception e) when (!stop.IsCancellationRequested) { _logger.LogError(e, "Gossip: gossip round failed unexpectedly"); }
            }
        }
        catch (OperationCanceledException) { }
    }

    private void MaybeAnnounceKeyring()
    {
        if (!Keyring.Enabled || Environment.TickCount64 < _nextKeyringAnnounceMs || !_membership.HasOtherLiveMembers) return;
        _nextKeyringAnnounceMs = Environment.TickCount64 + (long)_options.KeyringAnnounceInterval.TotalMilliseconds;
        Keyring.Announce();
    }

    private async Task PushPullLoopAsync(CancellationToken stop)
    {
        try
        {
            await StaggerAsync(_options.PushPullInterval, stop).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                var peer = _membership.RandomPeers(1, PeerChoice.Alive).FirstOrDefault();
                if (peer is not null)
                {
                    try { await PushPullAsync(peer.Address, join: false, stop, peer.Name).ConfigureAwait(false); }
                    catch (Exception e) when (!stop.IsCancellationRequested && IsExchangeFailure(e))
                    {
                        _logger.LogDebug("Gossip: push/pull with {Peer} failed: {Reason}", peer.Name, e.Message);
                    }
                }
                await Task.Delay(ClusterTiming.PushPullInterval(_options.PushPullInterval, _membership.LiveCount), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    private static Task StaggerAsync(TimeSpan interval, CancellationToken stop) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds), stop);

    /// <summary>Every reconnect interval, a push/pull with one dead member: heals partitions (as Serf's reconnect).</summary>
    private void MaybeReconnect(CancellationToken stop)
    {
        if (_options.ReconnectInterval <= TimeSpan.Zero || Environment.TickCount64 < _nextReconnectMs) return;
        _nextReconnectMs = Environment.TickCount64 + (long)_options.ReconnectInterval.TotalMilliseconds;
        var peer = _membership.RandomPeers(1, PeerChoice.Dead).FirstOrDefault();
        if (peer is null) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await PushPullAsync(peer.Address, join: false, stop, peer.Name).ConfigureAwait(false);
                _logger.LogInformation("Gossip: reconnected with dead member {Member} at {Address}", peer.Name, peer.Address);
            }
            catch (Exception e) when (IsExchangeFailure(e)) { _logger.LogDebug("Gossip: reconnect to {Member} failed: {Reason}", peer.Name, e.Message); }
        }, CancellationToken.None);
    }

    /// <summary>
    /// Push/pull with one peer: our digest; its digest and the states we lack; the states it lacks.
    /// Returns the peer's name, or null when the peer turned out to be this node.
    /// </summary>
    private async Task<string?> PushPullAsync(IPEndPoint peer, bool join, CancellationToken cancel, string? peerName = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(_options.TcpTimeout);
        // A member known to speak protocol 1 only gets its format at once: every refused first try costs it a decode failure.
        if (peerName is not null && _membership.ProtocolOf(peerName) is { Max: 1 })
            return await PushPullAsync(peer, join, null, limit.Token).ConfigureAwait(false);
        try { return await PushPullAsync(peer, join, _options.Protocol, limit.Token).ConfigureAwait(false); }
        catch (IOException e) when (!limit.IsCancellationRequested)
        {
            // A protocol-1 peer cannot decode the appended range and closes the connection: retry in its format.
            _logger.LogDebug("Gossip: push/pull with {Peer} closed early ({Reason}); retrying as protocol 1", peer, e.Message);
            return await PushPullAsync(peer, join, null, limit.Token).ConfigureAwait(false);
        }
    }

    private async Task<string?> PushPullAsync(IPEndPoint peer, bool join, ProtocolRange? versions, CancellationToken cancel)
    {
        using var connection = await _tcp.ConnectAsync(peer, cancel).ConfigureAwait(false);
        Counters.PushPull();
        await connection.WriteAsync(new PushPull(PushPullPhase.Request, join, Name, _membership.Digest(), [], versions), cancel).ConfigureAwait(false);
        var answer = await connection.ReadAsync(cancel).ConfigureAwait(false);
        if (answer is not PushPull { Phase: PushPullPhase.Reply } reply)
            throw new GossipDecodeException($"expected a push/pull reply, got {answer.Type}");
        if (reply.Sender == Name)
        {
            await connection.WriteAsync(new PushPull(PushPullPhase.Final, join, Name, [], [], versions), cancel).ConfigureAwait(false);
            return null;
        }
        if (!AcceptPeerProtocol(reply.Sender, reply.Versions, peer))
            throw new GossipVersionException($"{reply.Sender} at {peer} speaks protocol {reply.Versions ?? ProtocolVersions.Legacy}, this node {_options.Protocol}");
        _membership.Merge(reply.Sender, reply.Members, reply.States, reply.Versions ?? ProtocolVersions.Legacy);
        var states = _membership.StatesNewerThan(reply.Members, _options.MaxFrameSize / 2);
        await connection.WriteAsync(new PushPull(PushPullPhase.Final, join, Name, [], states, versions), cancel).ConfigureAwait(false);
        return reply.Sender;
    }

    /// <summary>Fetches states announced without their bytes (too large to piggy-back) from their owner, or a peer.</summary>
    private void StartFetches(CancellationToken stop)
    {
        foreach (var job in _membership.DueFetches(MaxConcurrentFetches - Volatile.Read(ref _fetchesInFlight)))
        {
            Interlocked.Increment(ref _fetchesInFlight);
            _ = Task.Run(async () =>
            {
                StateResponse? response = null;
                var from = job.Owner;
                if (job.Attempt % 2 == 1 && _membership.RandomPeers(1, PeerChoice.Alive, exclude: job.Name).FirstOrDefault() is { } other)
                    from = other.Address;
                try
                {
                    using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    limit.CancelAfter(_options.TcpTimeout);
                    using var connection = await _tcp.ConnectAsync(from, limit.Token).ConfigureAwait(false);
                    await connection.WriteAsync(new StateRequest(job.Name, job.Version), limit.Token).ConfigureAwait(false);
                    response = await connection.ReadAsync(limit.Token).ConfigureAwait(false) as StateResponse;
                }
                catch (Exception e) when (IsExchangeFailure(e))
                {
                    _logger.LogDebug("Gossip: fetching the state of {Member} from {From} failed: {Reason}", job.Name, from, e.Message);
                }
                finally
                {
                    _membership.FetchFinished(job.Name, response);
                    Interlocked.Decrement(ref _fetchesInFlight);
                }
            }, CancellationToken.None);
        }
    }

    /// <summary>Stops everything and closes the sockets, without leaving (to others this looks like a crash).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Dispose();
        try { await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
        _events.Writer.TryComplete();
        _gate.Dispose();
        _stop.Dispose();
    }
}
