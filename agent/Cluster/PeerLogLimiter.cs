using System.Net;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Decides whether a per-peer complaint is logged: at most once per <c>window</c> per (kind, peer); a window of
/// <see cref="TimeSpan.MaxValue"/> logs once per peer. Bounded: forgets everything past a few thousand peers.
/// </summary>
internal sealed class PeerLogLimiter(TimeSpan window, int maxPeers = 4096)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Kind, IPEndPoint Peer), long> _lastLogged = new();

    public bool ShouldLog(string kind, IPEndPoint peer)
    {
        long now = Environment.TickCount64;
        lock (_lock)
        {
            if (_lastLogged.TryGetValue((kind, peer), out long last) &&
                (window == TimeSpan.MaxValue || now - last < (long)window.TotalMilliseconds))
                return false;
            if (_lastLogged.Count >= maxPeers) _lastLogged.Clear();
            _lastLogged[(kind, peer)] = now;
            return true;
        }
    }
}
