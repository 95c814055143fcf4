namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// Reconnect delays: exponential from <see cref="Initial"/> to <see cref="Max"/>, each drawn in [d/2, d] so that many
/// agents that lost istiod together do not come back in step. <see cref="Reset"/> after a stream that got a response.
/// </summary>
public sealed class XdsBackoff(TimeSpan initial, TimeSpan max)
{
    private TimeSpan _next = initial;

    public TimeSpan Initial { get; } = initial;
    public TimeSpan Max { get; } = max;

    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(Max.Ticks, current.Ticks * 2));
        return TimeSpan.FromTicks(current.Ticks / 2 + (long)(Random.Shared.NextDouble() * (current.Ticks / 2)));
    }

    public void Reset() => _next = Initial;
}
