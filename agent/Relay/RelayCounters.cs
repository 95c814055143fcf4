namespace AppSwitch.Agent.Relay;

/// <summary>A relay's counters (updated by its connections' pumps; read by `ax get proxies`).</summary>
public sealed class RelayCounters
{
    private long _connections, _active, _failed, _bytesIn, _bytesOut;

    public long Connections => Interlocked.Read(ref _connections);
    public long Active => Interlocked.Read(ref _active);
    /// <summary>Connections closed at once because nobody served the route or the dial failed.</summary>
    public long Failed => Interlocked.Read(ref _failed);
    /// <summary>Bytes from clients to the target.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);
    /// <summary>Bytes from the target back to clients.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public void Accepted() { Interlocked.Increment(ref _connections); Interlocked.Increment(ref _active); }
    public void Closed() => Interlocked.Decrement(ref _active);
    public void Refused() => Interlocked.Increment(ref _failed);
    public void Copied(bool toTarget, int bytes) => Interlocked.Add(ref toTarget ? ref _bytesIn : ref _bytesOut, bytes);
}
