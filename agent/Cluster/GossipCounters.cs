namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Traffic and rejection counters of one node. A message is one UDP datagram or one TCP frame (a datagram may
/// carry several piggy-backed gossip messages). Bytes are on the wire (after encryption).
/// </summary>
public sealed class GossipCounters
{
    private long _messagesSent, _bytesSent, _messagesReceived, _bytesReceived;
    private long _decodeFailures, _authFailures, _wrongCluster, _droppedByFilter, _eventsDropped, _unknownMessages, _inboxDropped, _nacksReceived;
    private long _membershipHandled, _broadcastsQueued, _broadcastsDropped, _pushPulls, _suspicionsRaised, _refutations;

    public long MessagesSent => Volatile.Read(ref _messagesSent);
    public long BytesSent => Volatile.Read(ref _bytesSent);
    public long MessagesReceived => Volatile.Read(ref _messagesReceived);
    public long BytesReceived => Volatile.Read(ref _bytesReceived);
    /// <summary>Datagrams or frames that were not well-formed messages (garbage, truncation, unknown version).</summary>
    public long DecodeFailures => Volatile.Read(ref _decodeFailures);
    /// <summary>Failed AES-GCM authentication, plain traffic while encryption is on, or encrypted traffic without a key.</summary>
    public long AuthFailures => Volatile.Read(ref _authFailures);
    /// <summary>Well-formed messages of another cluster name.</summary>
    public long WrongCluster => Volatile.Read(ref _wrongCluster);
    /// <summary>Datagrams and connections dropped by <see cref="GossipOptions.DropPacket"/> (tests).</summary>
    public long DroppedByFilter => Volatile.Read(ref _droppedByFilter);
    /// <summary>Events dropped because nobody read <see cref="GossipNode.Events"/> fast enough.</summary>
    public long EventsDropped => Volatile.Read(ref _eventsDropped);
    /// <summary>Messages of a type newer than this node (from a peer of a newer protocol version): skipped.</summary>
    public long UnknownMessages => Volatile.Read(ref _unknownMessages);
    /// <summary>Membership messages dropped because the handler fell behind the receive loop (see <see cref="GossipOptions.HandoffQueueDepth"/>).</summary>
    public long InboxDropped => Volatile.Read(ref _inboxDropped);
    /// <summary>Lifeguard nacks: helpers of this node's indirect probes that did not reach the target either.</summary>
    public long NacksReceived => Volatile.Read(ref _nacksReceived);

    /// <summary>Alive, suspect, dead and state notices handled by the membership (news or not).</summary>
    public long MembershipHandled => Volatile.Read(ref _membershipHandled);
    /// <summary>Messages queued for gossip (news this node passes on, its own included).</summary>
    public long BroadcastsQueued => Volatile.Read(ref _broadcastsQueued);
    /// <summary>Queued broadcasts pushed out of a full queue before their last transmission.</summary>
    public long BroadcastsDropped => Volatile.Read(ref _broadcastsDropped);
    /// <summary>Push/pull exchanges this node started or answered (joins included).</summary>
    public long PushPulls => Volatile.Read(ref _pushPulls);
    /// <summary>Members this node started to suspect (its own probes or others' suspect messages).</summary>
    public long SuspicionsRaised => Volatile.Read(ref _suspicionsRaised);
    /// <summary>Suspicions or deaths of this node that it refuted.</summary>
    public long Refutations => Volatile.Read(ref _refutations);

    internal void Sent(int bytes) { Interlocked.Increment(ref _messagesSent); Interlocked.Add(ref _bytesSent, bytes); }
    internal void Received(int bytes) { Interlocked.Increment(ref _messagesReceived); Interlocked.Add(ref _bytesReceived, bytes); }
    internal void DecodeFailure() => Interlocked.Increment(ref _decodeFailures);
    internal void AuthFailure() => Interlocked.Increment(ref _authFailures);
    internal void WrongClusterRejected() => Interlocked.Increment(ref _wrongCluster);
    internal void DroppedFilter() => Interlocked.Increment(ref _droppedByFilter);
    internal void EventDropped() => Interlocked.Increment(ref _eventsDropped);
    internal void UnknownMessage() => Interlocked.Increment(ref _unknownMessages);
    internal void InboxDrop() => Interlocked.Increment(ref _inboxDropped);
    internal void NackReceived() => Interlocked.Increment(ref _nacksReceived);
    internal void MembershipMessage() => Interlocked.Increment(ref _membershipHandled);
    internal void BroadcastQueued() => Interlocked.Increment(ref _broadcastsQueued);
    internal void BroadcastDropped() => Interlocked.Increment(ref _broadcastsDropped);
    internal void PushPull() => Interlocked.Increment(ref _pushPulls);
    internal void SuspicionRaised() => Interlocked.Increment(ref _suspicionsRaised);
    internal void Refuted() => Interlocked.Increment(ref _refutations);

    public override string ToString() =>
        $"sent {MessagesSent} msgs/{BytesSent} B, received {MessagesReceived} msgs/{BytesReceived} B, " +
        $"decode failures {DecodeFailures}, auth failures {AuthFailures}, wrong cluster {WrongCluster}, " +
        $"filtered {DroppedByFilter}, events dropped {EventsDropped}, unknown messages {UnknownMessages}, inbox dropped {InboxDropped}, nacks received {NacksReceived}, " +
        $"membership messages {MembershipHandled}, broadcasts queued {BroadcastsQueued}/dropped {BroadcastsDropped}, push/pulls {PushPulls}, " +
        $"suspicions {SuspicionsRaised}, refutations {Refutations}";
}
