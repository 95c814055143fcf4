namespace AppSwitch.Agent.L7;

/// <summary>
/// The idle timeout of one relayed connection: every read or write waits on <see cref="Token"/>, which fires when no
/// progress was made for the timeout; each step re-arms it (<see cref="Waiting"/>) and records which side is awaited,
/// so an expiry names the side that stalled. A zero timeout never fires.
/// </summary>
internal sealed class IdleDeadline : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _stopping;
    private CancellationTokenSource _source;

    public IdleDeadline(TimeSpan timeout, CancellationToken stopping)
    {
        _timeout = timeout;
        _stopping = stopping;
        _source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    public TimeSpan Timeout => _timeout;

    /// <summary>The side the last armed step waits for.</summary>
    public RelaySide AwaitedSide { get; private set; }

    /// <summary>Fired by the timeout or the agent stopping.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True when <see cref="Token"/> fired because of the timeout (not the agent stopping).</summary>
    public bool Expired => _source.IsCancellationRequested && !_stopping.IsCancellationRequested;

    /// <summary>Starts a full timeout for a step that waits on <paramref name="side"/>; the token for that step.</summary>
    public CancellationToken Waiting(RelaySide side)
    {
        AwaitedSide = side;
        if (_source.IsCancellationRequested) return _source.Token;
        if (_timeout > TimeSpan.Zero) _source.CancelAfter(_timeout);
        return _source.Token;
    }

    /// <summary>Stops the clock while the relay itself waits (a rule's delay): nobody is idle then.</summary>
    public void Pause()
    {
        if (!_source.IsCancellationRequested) _source.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
    }

    /// <summary>A fresh deadline after an expiry, for the relay's own last answer (the old token stays cancelled).</summary>
    public void Renew()
    {
        if (!_source.IsCancellationRequested) return;
        _source.Dispose();
        _source = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
    }

    public void Dispose() => _source.Dispose();
}
