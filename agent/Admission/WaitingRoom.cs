namespace AppSwitch.Agent.Admission;

/// <summary>
/// Connections that have not said anything yet (a launcher before its RUN frame), bounded per peer and in total. A
/// newcomer over a bound pushes out the oldest waiting one — of its own peer when the peer's bound is reached — rather
/// than being refused: a flood of half-open clients then holds at most the bound's worth of fds and never locks out a
/// real client, which speaks at once and so leaves the room long before it would be the oldest.
/// </summary>
internal sealed class WaitingRoom<TPeer, TItem>(int perPeer, int total) where TPeer : notnull where TItem : class
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Seat> _all = new();
    private readonly Dictionary<TPeer, LinkedList<Seat>> _byPeer = [];

    public int PerPeer => perPeer;
    public int Total => total;

    /// <summary>A place in the room; <see cref="Leave"/> it when the connection spoke or closed.</summary>
    public sealed class Seat(TPeer peer, TItem item)
    {
        public TPeer Peer { get; } = peer;
        public TItem Item { get; } = item;
        internal LinkedListNode<Seat>? InAll;
        internal LinkedListNode<Seat>? InPeer;
    }

    public int Count
    {
        get { lock (_lock) return _all.Count; }
    }

    /// <summary>Seats the item; <paramref name="evicted"/> is the one pushed out to make room (the caller closes it), or null.</summary>
    public Seat Enter(TPeer peer, TItem item, out TItem? evicted)
    {
        var seat = new Seat(peer, item);
        lock (_lock)
        {
            evicted = null;
            var own = _byPeer.GetValueOrDefault(peer);
            if (own is not null && own.Count >= perPeer) evicted = Remove(own.First!.Value);
            else if (_all.Count >= total) evicted = Remove(_all.First!.Value);
            if (!_byPeer.TryGetValue(peer, out own)) _byPeer[peer] = own = new LinkedList<Seat>();
            seat.InAll = _all.AddLast(seat);
            seat.InPeer = own.AddLast(seat);
        }
        return seat;
    }

    /// <summary>Leaves the room; false when the seat was already given up (evicted, or left before).</summary>
    public bool Leave(Seat seat)
    {
        lock (_lock) return seat.InAll is not null && Remove(seat) is not null;
    }

    private TItem? Remove(Seat seat)
    {
        if (seat.InAll is null) return null;
        _all.Remove(seat.InAll);
        var own = _byPeer[seat.Peer];
        own.Remove(seat.InPeer!);
        if (own.Count == 0) _byPeer.Remove(seat.Peer);
        seat.InAll = seat.InPeer = null;
        return seat.Item;
    }
}
