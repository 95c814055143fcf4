using System.Text.Json.Nodes;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// The OpenAPI v3 documents kubectl reads before every write (`/openapi/v3` and one per group version). Without them
/// kubectl refuses with "failed to download openapi … turn validation off with --validate=false". kubectl looks for
/// the PATCH operation tagged with the kind's `x-kubernetes-group-version-kind` and its `fieldValidation` parameter:
/// found, it leaves validation to the server (`?fieldValidation=Strict`) instead of validating with the /openapi/v2
/// schema, which the stand-in does not serve. Only paths and parameters are given, no component schemas: kubectl then
/// builds strategic merge patches from its compiled-in types, as it does for a server without OpenAPI schemas.
/// </summary>
public static class KubeOpenApi
{
    /// <summary>`/openapi/v3`: where each group version's document is.</summary>
    public static JsonObject Root(IEnumerable<KubeApiResource> resources)
    {
        var paths = new JsonObject();
        foreach (var groupVersion in resources.Select(DocumentPath).Distinct())
            paths[groupVersion] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{groupVersion}" };
        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>`/openapi/v3/api/v1` or `/openapi/v3/apis/GROUP/VERSION`, or null for a group version not served.</summary>
    public static JsonObject? GroupVersion(IEnumerable<KubeApiResource> resources, string documentPath)
    {
        var served = resources.Where(r => DocumentPath(r) == documentPath).ToList();
        if (served.Count == 0) return null;
        var paths = new JsonObject();
        foreach (var r in served)
        {
            var root = "/" + documentPath + (r.Namespaced ? "/namespaces/{namespace}" : "");
            paths[$"{root}/{r.Plural}/{{name}}"] = new JsonObject { ["patch"] = PatchOperation(r) };
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
        };
    }

    private static string DocumentPath(KubeApiResource r) => r.Group == "" ? "api/v1" : $"apis/{r.Group}/{r.Version}";

    private static JsonObject PatchOperation(KubeApiResource r)
    {
        JsonObject Query(string name) => new() { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } };
        var content = new JsonObject { ["application/merge-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } };
        return new JsonObject
        {
            ["operationId"] = $"patch{r.Kind}",
            ["x-kubernetes-action"] = "patch",
            ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = r.Group, ["version"] = r.Version, ["kind"] = r.Kind },
            ["parameters"] = new JsonArray(Query("dryRun"), Query("fieldManager"), Query("fieldValidation"), Query("force")),
            ["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true },
            ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
        };
    }
}
