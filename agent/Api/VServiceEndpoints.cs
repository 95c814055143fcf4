using System.Text.Json;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Api;

/// <summary>
/// `POST /api/v1/vservices` (a <see cref="VServiceSpec"/>; 201, 400 bad definition, 409 name or ip taken),
/// `GET /api/v1/vservices` (every node's) and `DELETE /api/v1/vservices/{name}` (404 unknown, 409 owned by
/// another node: a vservice is deleted on the node that created it).
/// </summary>
internal static partial class VServiceEndpoints
{
    private const string Path = TableEndpoints.Prefix + "/vservices";

    public static IEndpointRouteBuilder MapVServiceEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                [.. Table(context).VServiceRecords()], ApiJsonContext.Default.ListVServiceRecord));
        routes.MapPost(Path, CreateAsync);
        routes.MapDelete(Path + "/{name}", DeleteAsync);
        return routes;
    }

    private static async Task CreateAsync(HttpContext context)
    {
        VServiceSpec? spec;
        try
        {
            spec = await JsonSerializer.DeserializeAsync(context.Request.Body, ApiJsonContext.Default.VServiceSpec, context.RequestAborted);
        }
        catch (JsonException e)
        {
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"invalid vservice JSON: {e.Message}");
            return;
        }
        if (spec is null)
        {
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "invalid vservice JSON: null");
            return;
        }
        if (VServiceEntry.FromSpec(spec, owner: null, out var invalid) is not { } vservice)
        {
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, invalid!);
            return;
        }
        var table = Table(context);
        if (!table.AddVService(vservice, out var conflict))
        {
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status409Conflict, conflict!);
            return;
        }
        LogCreated(Logger(context), vservice.Name, vservice.VirtualIp.ToString(), string.Join(",", vservice.Backends),
            vservice.LbType.ToString());
        // This one alone: a listing of every vservice of the cluster per create made N creates O(N·M).
        var record = vservice.ToRecord(table.Node.Name, table.Node.Cluster);
        await JsonResponses.WriteAsync(context, StatusCodes.Status201Created, record, ApiJsonContext.Default.VServiceRecord);
    }

    private static Task DeleteAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        var table = Table(context);
        var record = table.FindOwnVService(name)?.ToRecord(table.Node.Name, table.Node.Cluster);
        switch (table.RemoveVService(name, out var owner))
        {
            case VServiceRemoval.Removed:
                LogDeleted(Logger(context), name);
                return JsonResponses.WriteAsync(context, StatusCodes.Status200OK, record!, ApiJsonContext.Default.VServiceRecord);
            case VServiceRemoval.OwnedElsewhere:
                return JsonResponses.WriteErrorAsync(context, StatusCodes.Status409Conflict,
                    $"vservice '{name}' belongs to node {owner}: delete it there");
            default:
                return JsonResponses.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"vservice '{name}' not found");
        }
    }

    private static ServiceTable Table(HttpContext context) => context.RequestServices.GetRequiredService<ServiceTable>();

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(VServiceEndpoints).FullName!);

    [LoggerMessage(EventId = 300, Level = LogLevel.Information,
        Message = "Created vservice {VService} on {Ip}: backends {Backends}, {LbType}")]
    private static partial void LogCreated(ILogger logger, string vService, string ip, string backends, string lbType);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Deleted vservice {VService}")]
    private static partial void LogDeleted(ILogger logger, string vService);
}
