using AppSwitch.Agent.Table;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Api;

/// <summary>
/// The Amalgam8 registry API, read-only: `GET /api/v1/services`, `/api/v1/services/{name}`, `/api/v1/instances`
/// (`?service_name=`). Instances are the cluster's named apps' servers (<see cref="ServiceCatalog"/>); registering
/// external instances (POST, DELETE, heartbeat) is not supported: 501 says so.
/// </summary>
internal static class RegistryEndpoints
{
    private const string NotSupported =
        "registering instances is not supported: every app started with `ax run --name NAME` is an instance of NAME";

    public static IEndpointRouteBuilder MapRegistryEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(TableEndpoints.Prefix + "/services", static context =>
            JsonResponses.WriteAsync(context, StatusCodes.Status200OK,
                new ServiceNameList(Instances(context).Select(i => i.ServiceName).Distinct().ToList()), ApiJsonContext.Default.ServiceNameList));
        routes.MapGet(TableEndpoints.Prefix + "/services/{name}", static context =>
        {
            var name = (string)context.Request.RouteValues["name"]!;
            var instances = Instances(context).Where(i => i.ServiceName == name).ToList();
            return instances.Count == 0
                ? JsonResponses.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"service '{name}' not found")
                : JsonResponses.WriteAsync(context, StatusCodes.Status200OK, new ServiceDetail(name, instances), ApiJsonContext.Default.ServiceDetail);
        });
        routes.MapGet(TableEndpoints.Prefix + "/instances", static context =>
        {
            var filter = context.Request.Query["service_name"].ToString();
            var instances = Instances(context).Where(i => filter.Length == 0 || i.ServiceName == filter).ToList();
            return JsonResponses.WriteAsync(context, StatusCodes.Status200OK, new ServiceInstanceList(instances), ApiJsonContext.Default.ServiceInstanceList);
        });
        routes.MapPost(TableEndpoints.Prefix + "/instances", NotImplemented);
        routes.MapDelete(TableEndpoints.Prefix + "/instances/{id}", NotImplemented);
        routes.MapPut(TableEndpoints.Prefix + "/instances/{id}/heartbeat", NotImplemented);
        return routes;
    }

    private static Task NotImplemented(HttpContext context) =>
        JsonResponses.WriteErrorAsync(context, StatusCodes.Status501NotImplemented, NotSupported);

    private static List<ServiceInstanceRecord> Instances(HttpContext context)
    {
        var table = context.RequestServices.GetRequiredService<ServiceTable>();
        // Kubernetes instances (registry adapter) are a source of their own, next to the apps' servers.
        return [.. ServiceCatalog.Instances(table.AppRecords(), table.ServerRecords()), .. context.RequestServices.GetRequiredService<Kubernetes.KubernetesRegistry>().Instances()];
    }
}
