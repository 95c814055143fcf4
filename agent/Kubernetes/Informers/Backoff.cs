namespace AppSwitch.Agent.Kubernetes.Informers;

/// <summary>Capped exponential backoff with jitter (each delay uniform in [d/2, d]) so that agents don't retry in step.</summary>
public sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public Backoff(TimeSpan initial, TimeSpan max)
    {
        _initial = _next = initial;
        _max = max;
    }

    public TimeSpan NextDelay()
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_max.Ticks, _next.Ticks * 2));
        return TimeSpan.FromTicks(delay.Ticks / 2 + Random.Shared.NextInt64(delay.Ticks / 2 + 1));
    }

    public void Reset() => _next = _initial;
}
