using System.Threading.Channels;

namespace AppSwitch.Agent.Table;

/// <summary>
/// The table's revision: a counter raised by every change, this node's own and replica applies (another node's push)
/// alike. Each consumer (state writer, replicator, relays, DNS) subscribes and gets its own channel of capacity one
/// that keeps only the newest revision: a slow consumer finds the latest one waiting, never a queue, and no consumer
/// runs on the changing thread (an app's session thread must answer its bind at once).
/// </summary>
public sealed class TableRevisions
{
    private readonly Lock _lock = new();
    private Channel<long>[] _subscribers = [];
    private long _revision;

    /// <summary>Records each change of this node's own entries before it is answered (see State/StateWriteAheadLog).</summary>
    public ITableWriteAhead? WriteAhead { get; set; }

    /// <summary>The latest revision. A value read from a subscription is a wake-up: read this (or the table) after it.</summary>
    public long Current => Interlocked.Read(ref _revision);

    /// <summary>A channel that holds the newest revision published since it was last read.</summary>
    public ChannelReader<long> Subscribe()
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false,
        });
        lock (_lock) _subscribers = [.. _subscribers, channel];
        return channel.Reader;
    }

    /// <summary>Stops feeding a subscription (its reader then ends).</summary>
    public void Unsubscribe(ChannelReader<long> reader)
    {
        lock (_lock)
        {
            foreach (var channel in _subscribers.Where(c => c.Reader == reader)) channel.Writer.TryComplete();
            _subscribers = [.. _subscribers.Where(c => c.Reader != reader)];
        }
    }

    /// <summary>A change of the table: written ahead (this node's own entries), then a new revision for every subscriber.</summary>
    public long Publish(in TableChange change)
    {
        WriteAhead?.Record(change);
        var revision = Interlocked.Increment(ref _revision);
        foreach (var subscriber in Volatile.Read(ref _subscribers)) subscriber.Writer.TryWrite(revision);
        return revision;
    }
}
