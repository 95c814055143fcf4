using System.Net.Sockets;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Native;
using Microsoft.AspNetCore.Connections.Features;

namespace AppSwitch.Agent.Api.Access;

/// <summary>
/// Decides who may use the agent's HTTP API before any endpoint runs. api.sock (the admin socket): peers allowed by
/// <see cref="AdminPeerPolicy"/> (SO_PEERCRED), others 403. The TCP REST port: <see cref="OpenPaths"/> for anyone,
/// everything else only with the bearer token of --api-token-file or a client certificate of --api-client-ca (401
/// without; with neither configured the port serves health only). In Kubernetes rules mode rule writes are refused on both (<see cref="RuleWritePolicy"/>).
/// </summary>
internal sealed partial class ApiAccessMiddleware(RequestDelegate next, AgentOptions options, ILogger<ApiAccessMiddleware> log)
{
    /// <summary>What the REST port serves without credentials: probes and the Prometheus scrape (counts only, see README "Security").</summary>
    public static readonly IReadOnlySet<string> OpenPaths = new HashSet<string>(StringComparer.Ordinal) { "/healthz", "/metrics" };

    private readonly AdminPeerPolicy _peers = new(options.SocketGroup ?? Libc.GetEGid());
    private readonly ApiTokenFile? _token = options.ApiTokenFile is { } file ? new ApiTokenFile(file) : null;
    private readonly RefusalLogLimiter _logLimiter = new(TimeSpan.FromSeconds(10));

    public Task InvokeAsync(HttpContext context)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        var refusal = socket is { AddressFamily: AddressFamily.Unix } ? CheckAdminPeer(context, socket) : CheckRestPort(context);
        if (refusal is null && RuleWritePolicy.Refusal(options, context.Request) is { } ruleWrite)
            refusal = new Refusal(StatusCodes.Status403Forbidden, ruleWrite);
        return refusal is { } r ? RefuseAsync(context, r) : next(context);
    }

    private Refusal? CheckAdminPeer(HttpContext context, Socket socket)
    {
        var peer = PeerCredentials.Of(socket);
        if (peer is { } p && _peers.Allows(p)) return null;
        if (_logLimiter.ShouldLog($"uid:{peer?.Uid ?? -1}"))
            LogPeerRefused(log, context.Request.Method, context.Request.Path, peer?.Pid ?? 0, peer?.Uid ?? -1, peer?.Gid ?? -1,
                _peers.AllowedGroup);
        return new Refusal(StatusCodes.Status403Forbidden,
            $"permission denied: the admin API serves only root and members of group {_peers.AllowedGroup}");
    }

    private Refusal? CheckRestPort(HttpContext context)
    {
        if (OpenPaths.Contains(context.Request.Path.Value ?? "") && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            return null;
        // Kestrel presents a client certificate only after RestPortTls accepted it in the handshake (it chains to --api-client-ca).
        if (context.Connection.ClientCertificate is not null) return null;
        if (_token is null)
            return Unauthorized(options.ApiClientCaFile is null
                ? "the REST port serves only /healthz when the agent has no --api-token-file; use `ax` on the node"
                : "a client certificate signed by --api-client-ca is required");
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return Unauthorized("missing bearer token (Authorization: Bearer <token of --api-token-file>)");
        if (_token.Matches(header[scheme.Length..].Trim())) return null;
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        if (_logLimiter.ShouldLog(remote)) LogTokenRefused(log, context.Request.Method, context.Request.Path, remote);
        return Unauthorized("invalid bearer token");
    }

    private static Refusal Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, message, Challenge: true);

    private static Task RefuseAsync(HttpContext context, Refusal refusal)
    {
        if (refusal.Challenge) context.Response.Headers.WWWAuthenticate = "Bearer";
        return JsonResponses.WriteErrorAsync(context, refusal.Status, refusal.Message);
    }

    private readonly record struct Refusal(int Status, string Message, bool Challenge = false);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning,
        Message = "refused {Method} {Path} on api.sock: peer pid {Pid} uid {Uid} gid {Gid} is neither root nor in group {Group} (further refusals of this uid within 10 s are not logged)")]
    private static partial void LogPeerRefused(ILogger logger, string method, string path, int pid, int uid, int gid, int group);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "refused {Method} {Path} on the REST port from {Remote}: invalid bearer token (further refusals of this address within 10 s are not logged)")]
    private static partial void LogTokenRefused(ILogger logger, string method, string path, string remote);
}
