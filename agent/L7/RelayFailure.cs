namespace AppSwitch.Agent.L7;

/// <summary>
/// Why the HTTP relay could not carry a request or response. Every failure of the relay is one of these; the status,
/// text, log level and side of each are in <see cref="RelayFailures"/>, its counter in <see cref="RelayFailureCounters"/>.
/// Append only: the names are what `ax get proxies -o wide` and the REST API show.
/// </summary>
internal enum RelayFailure
{
    ClientHeadMalformed,
    ClientHeadTooLarge,
    ClientFramingInvalid,
    ClientBodyMalformed,
    ClientClosed,
    ClientStalled,
    ClientIdle,
    NoInstance,
    UpstreamUnreachable,
    UpstreamHeadMalformed,
    UpstreamFramingInvalid,
    UpstreamBodyMalformed,
    UpstreamClosed,
    UpstreamTimeout,
    UpstreamStalled,
}
