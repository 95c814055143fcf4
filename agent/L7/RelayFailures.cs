using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.L7;

/// <summary>The table of relay failures.</summary>
internal static class RelayFailures
{
    private const bool Keeps = true;

    // Client mistakes are warnings (a broken or hostile app); upstream trouble is information (instances come and go,
    // the app sees the status); a client that goes away or idles is routine.
    private static readonly RelayFailureKind[] Table =
    [
        Row(RelayFailure.ClientHeadMalformed, RelaySide.Client, 400, LogLevel.Warning, "malformed request head"),
        Row(RelayFailure.ClientHeadTooLarge, RelaySide.Client, 431, LogLevel.Warning, "request head too large"),
        Row(RelayFailure.ClientFramingInvalid, RelaySide.Client, 400, LogLevel.Warning, "ambiguous or invalid body framing"),
        Row(RelayFailure.ClientBodyMalformed, RelaySide.Client, 400, LogLevel.Warning, "malformed request body"),
        Row(RelayFailure.ClientClosed, RelaySide.Client, null, LogLevel.Debug, "connection closed or reset mid-exchange"),
        Row(RelayFailure.ClientStalled, RelaySide.Client, 408, LogLevel.Information, "stalled mid-request (idle timeout)"),
        Row(RelayFailure.ClientIdle, RelaySide.Client, null, LogLevel.Debug, "idle between requests (idle timeout)"),
        Row(RelayFailure.NoInstance, RelaySide.Upstream, 503, LogLevel.Information, "no reachable instance for the route", Keeps),
        Row(RelayFailure.UpstreamUnreachable, RelaySide.Upstream, 502, LogLevel.Information, "connect failed", Keeps),
        Row(RelayFailure.UpstreamHeadMalformed, RelaySide.Upstream, 502, LogLevel.Information, "malformed response head", Keeps),
        Row(RelayFailure.UpstreamFramingInvalid, RelaySide.Upstream, 502, LogLevel.Information, "invalid response body framing", Keeps),
        Row(RelayFailure.UpstreamBodyMalformed, RelaySide.Upstream, 502, LogLevel.Information, "malformed response body", Keeps),
        Row(RelayFailure.UpstreamClosed, RelaySide.Upstream, 502, LogLevel.Information, "connection closed or reset mid-exchange", Keeps),
        Row(RelayFailure.UpstreamTimeout, RelaySide.Upstream, 504, LogLevel.Information, "no response head within the rule's http_req_timeout", Keeps),
        Row(RelayFailure.UpstreamStalled, RelaySide.Upstream, 504, LogLevel.Information, "stalled (idle timeout)"),
    ];

    private static RelayFailureKind Row(RelayFailure failure, RelaySide side, int? status, LogLevel level, string text, bool keeps = false) =>
        new(failure, side, KebabCase(failure.ToString()), status, level, text, keeps);

    private static string KebabCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    static RelayFailures()
    {
        for (var i = 0; i < Table.Length; i++)
            if ((int)Table[i].Failure != i) throw new InvalidOperationException($"RelayFailures row {i} is {Table[i].Failure}");
    }

    public static int Count => Table.Length;

    public static RelayFailureKind Of(RelayFailure failure) => Table[(int)failure];

    public static IEnumerable<RelayFailureKind> All => Table;

    public static RelayFailure Stalled(RelaySide side) => side == RelaySide.Client ? RelayFailure.ClientStalled : RelayFailure.UpstreamStalled;

    public static RelayFailure Closed(RelaySide side) => side == RelaySide.Client ? RelayFailure.ClientClosed : RelayFailure.UpstreamClosed;

    public static RelayFailure BodyMalformed(RelaySide side) =>
        side == RelaySide.Client ? RelayFailure.ClientBodyMalformed : RelayFailure.UpstreamBodyMalformed;
}
