using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Api;

/// <summary>`GET /api/v1/apps|servers|sockets|nodes|proxies`: snapshots of the service table, as `ax get` shows them;
/// `GET /api/v1/cluster/stats`: this node's gossip counters.</summary>
internal static class TableEndpoints
{
    public const string Prefix = "/api/v1";

    public static IEndpointRouteBuilder MapTableEndpoints(this IEndpointRouteBuilder routes)
    {
        // Plain RequestDelegates: no parameter binding to generate at start-up.
        routes.MapGet($"{Prefix}/apps", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                AsList(Table(context).AppRecords()), ApiJsonContext.Default.ListAppRecord));
        routes.MapGet($"{Prefix}/servers", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                AsList(Table(context).ServerRecords()), ApiJsonContext.Default.ListServerRecord));
        routes.MapGet($"{Prefix}/sockets", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                AsList(Table(context).SocketRecords()), ApiJsonContext.Default.ListSocketRecord));
        routes.MapGet($"{Prefix}/nodes", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                AsList(context.RequestServices.GetRequiredService<INodeDirectory>().Nodes()), ApiJsonContext.Default.ListNodeRecord));
        routes.MapGet($"{Prefix}/proxies", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                AsList(Proxies(context)), ApiJsonContext.Default.ListProxyRecord));
        routes.MapGet($"{Prefix}/cluster/stats", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                context.RequestServices.GetRequiredService<INodeDirectory>().Stats(), ApiJsonContext.Default.ClusterStats));
        return routes;
    }

    private static ServiceTable Table(HttpContext context) => context.RequestServices.GetRequiredService<ServiceTable>();

    /// <summary>The node's TCP relays, then its HTTP relay (the L7 hop of connections under request-level rules).</summary>
    private static IReadOnlyList<ProxyRecord> Proxies(HttpContext context)
    {
        var relays = context.RequestServices.GetRequiredService<Relay.RelayManager>().Records();
        return context.RequestServices.GetRequiredService<L7.HttpRelay>().Record() is { } http ? [.. relays, http] : relays;
    }

    private static List<T> AsList<T>(IReadOnlyList<T> records) => records as List<T> ?? [.. records];
}
