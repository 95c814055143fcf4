using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.L7;

/// <summary>
/// What the relay does with one request: abort it with <see cref="AbortCode"/>, or send it (after
/// <see cref="Delay"/>) to <see cref="Backend"/> with the target <see cref="Target"/>, waiting at most
/// <see cref="Timeout"/> for the response head and trying again up to <see cref="Retries"/> times.
/// A null backend means no instance can serve it (503). <see cref="RetryStatuses"/> null retries every 5xx.
/// </summary>
internal sealed record RequestPlan(ServerEntry? Backend, Rule? RouteRule, string Target, TimeSpan Delay, int? AbortCode,
    TimeSpan? Timeout, int Retries, IReadOnlyList<(string Key, string Value)> Traces, IReadOnlyList<int>? RetryStatuses = null)
{
    /// <summary>True when a response with this status is retried (while retries are left).</summary>
    public bool RetriesOn(int status) => RetryStatuses is null ? status >= 500 : RetryStatuses.Contains(status);
}
