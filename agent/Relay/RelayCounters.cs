namespace AppSwitch.Agent.Relay;

/// <summary>A relay's counters (updated by its connections' pumps; read by `ax get proxies`).</summary>
public sealed class RelayCounters
{
    private long _connections, _active, _refused, _bytesIn, _bytesOut;

    public long Connections => Interlocked.Read(ref _connections);
    public long Active => Interlocked.Read(ref _active);
    /// <summary>Connections closed at once because nobody served the route or the dial failed.</summary>
    public long Refused => Interlocked.Read(ref _refused);
    /// <summary>Bytes from clients to the target.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);
    /// <summary>Bytes from the target back to clients.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public void Accepted() { Interlocked.Increment(ref _connections); Interlocked.Increment(ref _active); }
    public void Closed() => Interlocked.Decrement(ref _active);
    public void CountRefused() => Interlocked.Increment(ref _refused);
    public void Copied(bool toTarget, int bytes) => Interlocked.Add(ref toTarget ? ref _bytesIn : ref _bytesOut, bytes);
}
