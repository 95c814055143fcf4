namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Messages waiting to be piggy-backed on probes and gossip rounds. One entry per key (a newer message about a
/// member replaces the older one); each is sent a limited number of times, least-sent first, and the queue is
/// bounded (the most-sent entries go first when full).
/// </summary>
internal sealed class BroadcastQueue(int maxItems, GossipCounters? counters = null)
{
    private sealed class Item
    {
        public required string Key;
        public required byte[] Message;
        public required long Id;
        public int Transmits;
        public TaskCompletionSource? Done;
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Item> _items = new(StringComparer.Ordinal);
    private long _nextId;

    public int Count { get { lock (_lock) return _items.Count; } }

    /// <summary>Queues <paramref name="message"/>; <paramref name="done"/> completes once it was sent its share of times (or replaced).</summary>
    public void Enqueue(string key, byte[] message, TaskCompletionSource? done = null)
    {
        lock (_lock)
        {
            if (_items.Remove(key, out var old)) old.Done?.TrySetResult();
            _items[key] = new Item { Key = key, Message = message, Id = ++_nextId, Done = done };
            counters?.BroadcastQueued();
            if (_items.Count > maxItems)
            {
                var worst = _items.Values.OrderByDescending(i => i.Transmits).ThenBy(i => i.Id).First();
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
            foreach (var item in _items.Values.OrderBy(i => i.Transmits).ThenByDescending(i => i.Id).ToList())
            {
                int cost = item.Message.Length + overheadEach;
                if (cost > budget) continue;
                budget -= cost;
                taken.Add(item.Message);
                if (++item.Transmits >= transmitLimit)
                {
                    _items.Remove(item.Key);
                    item.Done?.TrySetResult();
                }
                if (taken.Count >= maxCount || budget <= overheadEach) break;
            }
        }
        return taken;
    }
}
