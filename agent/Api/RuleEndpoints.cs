using System.Text;
using AppSwitch.Agent.Rules;
using AppSwitch.Common.Json;
using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Api;

/// <summary>
/// The Amalgam8 controller API: `GET|POST|PUT|DELETE /v1/rules`, `GET /v1/rules/routes[/{destination}]`,
/// `GET /v1/rules/actions[/{destination}]`, `GET /health`. Bodies are JSON or YAML rule documents; a batch with one
/// bad rule is refused whole (400 with every problem). POST creates (409 when an id exists anywhere), PUT replaces
/// by id; both only change rules of this node (a rule belongs to the node it was created on).
/// DELETE takes `?id=` (repeatable) or `?destination=`; without either it is refused rather than deleting everything.
/// </summary>
internal static partial class RuleEndpoints
{
    private const string Path = "/v1/rules";

    public static IEndpointRouteBuilder MapRuleEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, static context =>
        {
            var ids = context.Request.Query["id"].Where(v => v is not null).ToHashSet();
            var destinations = context.Request.Query["destination"].Where(v => v is not null).ToHashSet();
            var tags = context.Request.Query["tag"].Where(v => v is not null).ToHashSet();
            var book = Book(context);
            var rules = book.Effective().Select(o => o.Rule)
                .Where(r => (ids.Count == 0 || ids.Contains(r.Id)) && (destinations.Count == 0 || destinations.Contains(r.Destination))
                            && (tags.Count == 0 || (r.Tags ?? []).Any(tags.Contains)))
                .ToList();
            return JsonResponses.WriteAsync(context, StatusCodes.Status200OK, new RuleList { Rules = rules, Revision = book.Revision },
                ApiJsonContext.Default.RuleList);
        });
        routes.MapPost(Path, static context => ChangeAsync(context, create: true));
        routes.MapPut(Path, static context => ChangeAsync(context, create: false));
        routes.MapDelete(Path, DeleteAsync);
        routes.MapGet(Path + "/routes", static context => ByDestination(context, routes: true, null));
        routes.MapGet(Path + "/routes/{destination}", static context =>
            ByDestination(context, routes: true, (string)context.Request.RouteValues["destination"]!));
        routes.MapGet(Path + "/actions", static context => ByDestination(context, routes: false, null));
        routes.MapGet(Path + "/actions/{destination}", static context =>
            ByDestination(context, routes: false, (string)context.Request.RouteValues["destination"]!));
        routes.MapGet("/health", static context =>
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("ok\n", context.RequestAborted);
        });
        return routes;
    }

    private static async Task ChangeAsync(HttpContext context, bool create)
    {
        var text = await ReadBodyAsync(context);
        if (text is null)
        {
            await WriteProblemsAsync(context, [new RuleProblem("", $"the body is over {RuleDocumentParser.MaxBytes} bytes")]);
            return;
        }
        var rules = RuleReader.Read(text, out var problems);
        if (problems.Count > 0)
        {
            await WriteProblemsAsync(context, problems);
            return;
        }
        var book = Book(context);
        IReadOnlyList<string> ids;
        string? problem;
        RuleStoreOutcome outcome;
        if (create) outcome = book.Create(rules, out ids, out problem);
        else
        {
            ids = rules.Select(r => r.Id).ToList();
            outcome = book.Update(rules, out problem);
        }
        if (outcome != RuleStoreOutcome.Done)
        {
            await JsonResponses.WriteErrorAsync(context, Status(outcome), problem!);
            return;
        }
        LogChanged(Logger(context), create ? "Created" : "Updated", string.Join(",", ids));
        await JsonResponses.WriteAsync(context, create ? StatusCodes.Status201Created : StatusCodes.Status200OK,
            new RuleIds { Ids = [.. ids] }, ApiJsonContext.Default.RuleIds);
    }

    private static Task DeleteAsync(HttpContext context)
    {
        var book = Book(context);
        var ids = context.Request.Query["id"].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct().ToList();
        var destinations = context.Request.Query["destination"].Where(v => !string.IsNullOrEmpty(v)).ToHashSet();
        if (ids.Count == 0 && destinations.Count == 0)
            return JsonResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                "name the rules to delete: ?id=ID (repeatable) or ?destination=SERVICE");
        if (destinations.Count > 0) ids.AddRange(book.Own().Where(r => destinations.Contains(r.Destination)).Select(r => r.Id));
        ids = ids.Distinct().ToList();
        var outcome = book.Delete(ids, out var problem);
        if (outcome != RuleStoreOutcome.Done) return JsonResponses.WriteErrorAsync(context, Status(outcome), problem!);
        LogChanged(Logger(context), "Deleted", string.Join(",", ids));
        return JsonResponses.WriteAsync(context, StatusCodes.Status200OK, new RuleIds { Ids = ids }, ApiJsonContext.Default.RuleIds);
    }

    private static Task ByDestination(HttpContext context, bool routes, string? destination)
    {
        var book = Book(context);
        var services = book.Effective().Select(o => o.Rule)
            .Where(r => r.IsRoute == routes && (destination is null || r.Destination == destination))
            .GroupBy(r => r.Destination, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList());
        return JsonResponses.WriteAsync(context, StatusCodes.Status200OK, new RulesByDestination { Services = services, Revision = book.Revision },
            ApiJsonContext.Default.RulesByDestination);
    }

    /// <summary>The body as text, or null when it is larger than a rule document may be.</summary>
    private static async Task<string?> ReadBodyAsync(HttpContext context)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > RuleDocumentParser.MaxBytes) return null;
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static Task WriteProblemsAsync(HttpContext context, List<RuleProblem> problems) =>
        JsonResponses.WriteAsync(context, StatusCodes.Status400BadRequest,
            new RuleErrors
            {
                Error = problems.Count == 1 ? problems[0].ToString() : $"{problems[0]} (and {problems.Count - 1} more)",
                Errors = problems.Select(p => p.ToString()).ToList()
            },
            ApiJsonContext.Default.RuleErrors);

    private static int Status(RuleStoreOutcome outcome) =>
        outcome == RuleStoreOutcome.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict;

    private static RuleBook Book(HttpContext context) => context.RequestServices.GetRequiredService<RuleBook>();

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RuleEndpoints).FullName!);

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "{Change} rules {Ids}")]
    private static partial void LogChanged(ILogger logger, string change, string ids);
}
