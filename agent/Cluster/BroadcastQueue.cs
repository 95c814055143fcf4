namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Messages waiting to be piggy-backed on probes and gossip rounds. One entry per key (a newer message about a
/// member replaces the older one); each is sent a limited number of times, least-sent first, and the queue is
/// bounded (the most-sent entries go first when full). Kept in that order (memberlist's transmit-limited queue):
/// a packet takes the first entries that fit instead of sorting the whole queue, which holds ~N entries while
/// members join.
/// </summary>
internal sealed class BroadcastQueue(int maxItems, GossipCounters? counters = null)
{
    /// <summary>Entries that did not fit a packet's remaining budget, passed over before the packet is called full.</summary>
    private const int MaxSkipped = 16;

    private sealed class Item
    {
        public required string Key;
        public required byte[] Message;
        public required long Id;
        public int Transmits;
        public TaskCompletionSource? Done;
    }

    /// <summary>Least-sent first, then newest first (ids are unique, so no two entries compare equal).</summary>
    private sealed class SendOrder : IComparer<Item>
    {
        public static readonly SendOrder Instance = new();

        public int Compare(Item? x, Item? y)
        {
            int byTransmits = x!.Transmits.CompareTo(y!.Transmits);
            return byTransmits != 0 ? byTransmits : y.Id.CompareTo(x.Id);
        }
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Item> _items = new(StringComparer.Ordinal);
    private readonly SortedSet<Item> _order = new(SendOrder.Instance);
    private long _nextId;

    public int Count { get { lock (_lock) return _items.Count; } }

    /// <summary>Queues <paramref name="message"/>; <paramref name="done"/> completes once it was sent its share of times (or replaced).</summary>
    public void Enqueue(string key, byte[] message, TaskCompletionSource? done = null)
    {
        lock (_lock)
        {
            if (_items.Remove(key, out var old))
            {
                _order.Remove(old);
                old.Done?.TrySetResult();
            }
            var item = new Item { Key = key, Message = message, Id = ++_nextId, Done = done };
            _items[key] = item;
            _order.Add(item);
            counters?.BroadcastQueued();
            if (_items.Count > maxItems)
            {
                var worst = _order.Max!;
                _order.Remove(worst);
                _items.Remove(worst.Key);
                worst.Done?.TrySetResult();
                counters?.BroadcastDropped();
            }
        }
    }

    /// <summary>
    /// Messages that fit in <paramref name="budget"/> bytes (each costing its length plus <paramref name="overheadEach"/>),
    /// least-transmitted and newest first; counts the transmission and retires those sent <paramref name="transmitLimit"/> times.
    /// </summary>
    public List<byte[]> Take(int budget, int overheadEach, int transmitLimit, int maxCount = MessageCodec.MaxCompoundParts)
    {
        var taken = new List<byte[]>();
        lock (_lock)
        {
            if (_items.Count == 0) return taken;
            var sent = new List<Item>();
            int skipped = 0;
            foreach (var item in _order)
            {
                int cost = item.Message.Length + overheadEach;
                if (cost > budget)
                {
                    if (++skipped > MaxSkipped) break;
                    continue;
                }
                budget -= cost;
                taken.Add(item.Message);
                sent.Add(item);
                if (taken.Count >= maxCount || budget <= overheadEach) break;
            }
            // The order depends on the transmit count: take each sent entry out before counting, put it back after.
            foreach (var item in sent)
            {
                _order.Remove(item);
                if (++item.Transmits >= transmitLimit)
                {
                    _items.Remove(item.Key);
                    item.Done?.TrySetResult();
                }
                else _order.Add(item);
            }
        }
        return taken;
    }
}
