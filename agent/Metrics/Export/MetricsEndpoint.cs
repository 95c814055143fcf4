namespace AppSwitch.Agent.Metrics.Export;

/// <summary>
/// GET /metrics: the Prometheus scrape, on api.sock and open on the REST port (ApiAccessMiddleware.OpenPaths, like
/// /healthz): it holds counts only, and no label names an app, a node, a service or an address.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, static context =>
        {
            var text = context.RequestServices.GetRequiredService<MetricsCollector>().Scrape();
            context.Response.ContentType = PrometheusTextWriter.ContentType;
            return context.Response.WriteAsync(text, context.RequestAborted);
        });
        return routes;
    }
}
