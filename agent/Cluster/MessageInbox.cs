using System.Net;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// The hand-off between the UDP receive loop and the membership (memberlist's handleCommand queues): the loop only
/// enqueues, one handler takes messages out, alive/suspect/dead first. Bounded: when full, the oldest ordinary
/// message is dropped (state notices are repeated by gossip and push/pull); when only priority messages are queued,
/// the new one is dropped. Every drop is counted.
/// </summary>
internal sealed class MessageInbox(int capacity, GossipCounters counters)
{
    private readonly Lock _lock = new();
    private readonly Queue<(GossipMessage Message, IPEndPoint From)> _priority = new(), _ordinary = new();
    private readonly SemaphoreSlim _ready = new(0);

    /// <summary>Alive, suspect and dead decide who is in the cluster: they overtake everything else.</summary>
    public static bool IsPriority(GossipMessage message) => message is Alive or Suspect or Dead;

    public void Post(GossipMessage message, IPEndPoint from)
    {
        lock (_lock)
        {
            if (_priority.Count + _ordinary.Count >= capacity)
            {
                counters.InboxDrop();
                if (_ordinary.Count == 0) return; // all priority: the newest waits for the next round of gossip
                _ordinary.Dequeue();
            }
            (IsPriority(message) ? _priority : _ordinary).Enqueue((message, from));
        }
        _ready.Release();
    }

    /// <summary>Hands each message to <paramref name="handle"/>, priority ones first, until cancelled.</summary>
    public async Task RunAsync(Action<GossipMessage, IPEndPoint> handle, CancellationToken cancel)
    {
        try
        {
            while (true)
            {
                await _ready.WaitAsync(cancel).ConfigureAwait(false);
                (GossipMessage Message, IPEndPoint From) next;
                lock (_lock)
                {
                    if (!_priority.TryDequeue(out next) && !_ordinary.TryDequeue(out next)) continue; // taken by a drop
                }
                handle(next.Message, next.From);
            }
        }
        catch (OperationCanceledException) { }
    }

    public int Count { get { lock (_lock) return _priority.Count + _ordinary.Count; } }
}
