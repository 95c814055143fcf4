using System.Text.Json;
using AppSwitch.Agent.Cluster;
using AppSwitch.Agent.Replication;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Api;

/// <summary>
/// The gossip keyring (`ax keys`): `GET /api/v1/keys` lists the keys and how many live members hold each;
/// `POST /api/v1/keys/install|use|remove` with <see cref="KeyRequest"/> changes it on every member and answers
/// once all live members acknowledged it or <see cref="AcknowledgeWait"/> passed (400 bad key, 409 refused:
/// clear-text node, key not installed, primary key, full). Served on the Unix admin socket only — the answer holds
/// the keys — never on the TCP port (403).
/// </summary>
internal static partial class KeyEndpoints
{
    private const string Path = TableEndpoints.Prefix + "/keys";
    /// <summary>Below the CLI's 10 s request timeout.</summary>
    private static readonly TimeSpan AcknowledgeWait = TimeSpan.FromSeconds(6);

    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, ListAsync);
        routes.MapPost(Path + "/{operation}", ChangeAsync);
        return routes;
    }

    private static Task ListAsync(HttpContext context)
    {
        if (Refusal(context, out var keyring) is { } refused) return refused;
        var listing = keyring!.List();
        return JsonResponses.WriteAsync(context, StatusCodes.Status200OK, new KeyringRecord
        {
            Members = listing.Members,
            Keys = [.. listing.Keys.Select(k => new KeyRecord { Key = Convert.ToBase64String(k.Key), Primary = k.Primary, Members = k.Members })],
        }, ApiJsonContext.Default.KeyringRecord);
    }

    private static async Task ChangeAsync(HttpContext context)
    {
        var operation = (string)context.Request.RouteValues["operation"]!;
        if (operation is not ("install" or "use" or "remove"))
        {
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"unknown key operation '{operation}' (install, use or remove)");
            return;
        }
        if (Refusal(context, out var keyring) is { } refused)
        {
            await refused;
            return;
        }
        byte[] key;
        try
        {
            var request = await JsonSerializer.DeserializeAsync(context.Request.Body, ApiJsonContext.Default.KeyRequest, context.RequestAborted);
            key = GossipOptions.ParseKey(request?.Key ?? throw new ArgumentException("the request names no key"));
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        KeyChangeOutcome outcome;
        try
        {
            outcome = operation switch
            {
                "install" => await keyring!.InstallAsync(key, AcknowledgeWait, context.RequestAborted),
                "use" => await keyring!.UseAsync(key, AcknowledgeWait, context.RequestAborted),
                _ => await keyring!.RemoveAsync(key, AcknowledgeWait, context.RequestAborted),
            };
        }
        catch (KeyringException e)
        {
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status409Conflict, e.Message);
            return;
        }
        LogChanged(Logger(context), operation, (long)outcome.State.Version, outcome.Acknowledged, outcome.Members);
        await JsonResponses.WriteAsync(context, StatusCodes.Status200OK, new KeyChangeRecord
        {
            Operation = operation, Version = (long)outcome.State.Version, Members = outcome.Members,
            Acknowledged = outcome.Acknowledged, Missing = [.. outcome.Missing],
        }, ApiJsonContext.Default.KeyChangeRecord);
    }

    /// <summary>The refusal to write, or null with the node's keyring.</summary>
    private static Task? Refusal(HttpContext context, out GossipKeyring? keyring)
    {
        keyring = null;
        if (context.Connection.LocalIpAddress is not null)
            return JsonResponses.WriteErrorAsync(context, StatusCodes.Status403Forbidden,
                "the gossip keyring is served on the agent's Unix admin socket only");
        keyring = context.RequestServices.GetRequiredService<ClusterReplicator>().Keyring;
        if (keyring is null)
            return JsonResponses.WriteErrorAsync(context, StatusCodes.Status409Conflict, "gossip is off on this node (--gossip-port 0): there is no keyring");
        if (!keyring.Enabled)
            return JsonResponses.WriteErrorAsync(context, StatusCodes.Status409Conflict,
                "gossip is not encrypted on this node: start every agent with --gossip-key to have a keyring");
        return null;
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KeyEndpoints).FullName!);

    [LoggerMessage(EventId = 700, Level = LogLevel.Information,
        Message = "Gossip keyring: {Operation} (version {Version}) acknowledged by {Acknowledged} of {Members} members")]
    private static partial void LogChanged(ILogger logger, string operation, long version, int acknowledged, int members);
}
