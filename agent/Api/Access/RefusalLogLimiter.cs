namespace AppSwitch.Agent.Api.Access;

/// <summary>
/// At most one refusal log line per caller (remote address, or uid on api.sock) per window: a host hammering the
/// REST port with bad tokens must not flood the node's log. Bounded: forgets everyone past a few thousand callers.
/// </summary>
internal sealed class RefusalLogLimiter(TimeSpan window, int maxCallers = 4096)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _lastLogged = new(StringComparer.Ordinal);

    public bool ShouldLog(string caller)
    {
        var now = Environment.TickCount64;
        lock (_lock)
        {
            if (_lastLogged.TryGetValue(caller, out var last) && now - last < (long)window.TotalMilliseconds) return false;
            if (_lastLogged.Count >= maxCallers) _lastLogged.Clear();
            _lastLogged[caller] = now;
            return true;
        }
    }
}
