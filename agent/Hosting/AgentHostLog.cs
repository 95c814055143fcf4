using System.Net;
using AppSwitch.Agent.Configuration;

namespace AppSwitch.Agent.Hosting;

/// <summary>The agent's lifecycle log messages (source-generated: no boxing, no parsing of templates at run time).</summary>
internal static partial class AgentHostLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "AppSwitch agent running: node {NodeName} address {NodeAddress} cluster {Cluster}, launcher socket in {SocketDir}, admin API and state in {AdminSocketDir}, REST port {RestPort}, node ports {Ports}")]
    public static partial void Started(ILogger logger, string nodeName, IPAddress nodeAddress, string cluster, string socketDir,
        string adminSocketDir, string restPort, PortRanges ports);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "AppSwitch agent stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "moved {File} from {SocketDir} (pods mount it) to {AdminSocketDir}")]
    public static partial void MovedLegacyState(ILogger logger, string file, string socketDir, string adminSocketDir);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "cannot listen: {Reason}")]
    public static partial void ListenFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "socket lock on: {Detail}; node sockets are connected and bound by the agent only")]
    public static partial void SocketLockOn(ILogger logger, string detail);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "socket lock off: {Reason}; apps are contained by seccomp only")]
    public static partial void SocketLockOff(ILogger logger, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "socket lock disabled (--socket-lock=false); apps are contained by seccomp only")]
    public static partial void SocketLockDisabled(ILogger logger);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "client IPs preserved: {Detail}; servers see a client app's virtual IP")]
    public static partial void ClientIpOn(ILogger logger, string detail);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "client IPs not preserved: {Reason}; servers see the client's node address")]
    public static partial void ClientIpOff(ILogger logger, string reason);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "client IPs not preserved (--preserve-client-ip=false); servers see the client's node address")]
    public static partial void ClientIpDisabled(ILogger logger);
}
