namespace AppSwitch.Agent.Api;

/// <summary>`GET /healthz`: 200 "ok" while the agent serves requests (liveness probes, scripts waiting for start-up).</summary>
internal static class HealthEndpoint
{
    public static IEndpointRouteBuilder MapHealthEndpoint(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", static context =>
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("ok", context.RequestAborted);
        });
        return routes;
    }
}
