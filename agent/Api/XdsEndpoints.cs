using AppSwitch.Agent.Xds;
using AppSwitch.Common.Json;

namespace AppSwitch.Agent.Api;

/// <summary>`GET /api/v1/xds`: the xDS client's connection, versions ACKed per type and refused resources (admin or token, as every /api/v1 read).</summary>
internal static class XdsEndpoints
{
    public static IEndpointRouteBuilder MapXdsEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet($"{TableEndpoints.Prefix}/xds", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                context.RequestServices.GetRequiredService<XdsRegistry>().Status, ApiJsonContext.Default.XdsStatusRecord));
        return routes;
    }
}
