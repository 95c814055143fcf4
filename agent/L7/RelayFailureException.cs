using System.Net;

namespace AppSwitch.Agent.L7;

/// <summary>
/// Raised where the relay finds a failure (parsers, body copies, upstream reads); the connection's one error path
/// (<c>HttpRelayConnection.FailAsync</c>) logs, counts and answers it. <paramref name="instance"/> is the upstream
/// instance's node address when the relay was talking to one.
/// </summary>
internal sealed class RelayFailureException(RelayFailure failure, string detail, IPEndPoint? instance = null, Exception? inner = null)
    : Exception(detail, inner)
{
    public RelayFailure Failure => failure;
    public IPEndPoint? Instance => instance;
}
