using AppSwitch.Agent.Api.Access;
using AppSwitch.Agent.Metrics;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Admission;

/// <summary>
/// Counts every connection an endpoint closes unserved (appswitch_control_refusals_total{endpoint,reason}) and logs a
/// warning at most once per peer and reason per 10 s with how many went since: a flood must not flood the log too.
/// The peer is who is limited (a uid, an address), not the process: a flood from many processes of one uid is one
/// line per 10 s, and the unlogged counts stay bounded like the limiter (a flood of fresh keys would grow them).
/// </summary>
internal sealed partial class AdmissionRefusals(string endpoint, AgentMetrics? metrics, ILogger logger)
{
    private const int MaxPeers = 4096;
    private readonly RefusalLogLimiter _limiter = new(TimeSpan.FromSeconds(10), MaxPeers);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _unlogged = new(StringComparer.Ordinal);

    public static string Label(AdmissionRefusal reason) => reason switch
    {
        AdmissionRefusal.Timeout => "timeout",
        AdmissionRefusal.Evicted => "evicted",
        AdmissionRefusal.PeerLimit => "peer_limit",
        _ => "total_limit",
    };

    /// <param name="peer">Who it was (uid N, an address): the log line names it, the metric does not.</param>
    /// <param name="why">The limit in words, e.g. "more than 256 half-open connections of uid 0".</param>
    /// <param name="latest">Which process (pid N), when known: named in the line, not part of the peer.</param>
    public void Record(AdmissionRefusal reason, string peer, string why, string? latest = null)
    {
        var label = Label(reason);
        metrics?.ControlRefusals.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("reason", label));
        var key = $"{peer} {label}";
        long count;
        lock (_lock)
        {
            count = _unlogged.GetValueOrDefault(key) + 1;
            if (!_limiter.ShouldLog(key))
            {
                if (_unlogged.Count >= MaxPeers && !_unlogged.ContainsKey(key)) _unlogged.Clear(); // counts lost, memory kept
                _unlogged[key] = count;
                return;
            }
            _unlogged.Remove(key);
        }
        LogRefused(logger, endpoint, latest is null ? peer : $"{peer} ({latest})", why, count);
    }

    /// <summary>Peers with refusals not yet in a log line (bounded by <see cref="MaxPeers"/>).</summary>
    internal int UnloggedPeers
    {
        get { lock (_lock) return _unlogged.Count; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Endpoint}: closed a connection of {Peer}: {Why} ({Count} since the last such line)")]
    private static partial void LogRefused(ILogger logger, string endpoint, string peer, string why, long count);
}
