using AppSwitch.Agent.Api.Access;
using AppSwitch.Agent.Metrics;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Admission;

/// <summary>
/// Counts every connection an endpoint closes unserved (appswitch_control_refusals_total{endpoint,reason}) and logs a
/// warning at most once per peer and reason per 10 s with how many went since: a flood must not flood the log too.
/// </summary>
internal sealed partial class AdmissionRefusals(string endpoint, AgentMetrics? metrics, ILogger logger)
{
    private readonly RefusalLogLimiter _limiter = new(TimeSpan.FromSeconds(10));
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
    public void Record(AdmissionRefusal reason, string peer, string why)
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
                _unlogged[key] = count;
                return;
            }
            _unlogged.Remove(key);
        }
        LogRefused(logger, endpoint, peer, why, count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Endpoint}: closed a connection of {Peer}: {Why} ({Count} since the last such line)")]
    private static partial void LogRefused(ILogger logger, string endpoint, string peer, string why, long count);
}
