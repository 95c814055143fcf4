using System.Text.Json.Nodes;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// The server-side table (meta.k8s.io/v1 Table) `kubectl get` asks for with `Accept: application/json;as=Table;…`:
/// for a custom resource, Name and the CRD version's additionalPrinterColumns (or Name and Age when it declares none),
/// as the real server builds it; for a built-in kind Name and Age only (the real server prints more columns).
/// Column paths are the simple dotted `.a.b.c` form the project's CRD uses; `date` cells print as an age ("5s", "3m").
/// </summary>
public static class KubeTable
{
    public static JsonObject Of(KubeApiResource resource, IReadOnlyList<JsonObject> items, long resourceVersion, DateTimeOffset now)
    {
        var columns = Columns(resource);
        var rows = new JsonArray();
        foreach (var item in items)
        {
            var cells = new JsonArray((JsonNode?)(string?)item["metadata"]?["name"]);
            foreach (var column in columns.Skip(1))
            {
                var value = Select(item, (string)column["jsonPath"]!);
                cells.Add((string?)column["type"] == "date" && value is JsonValue text && DateTimeOffset.TryParse((string?)text, out var at)
                    ? Age(now - at)
                    : value?.DeepClone());
            }
            var metadata = item["metadata"]!.DeepClone().AsObject();
            metadata.Remove("managedFields");
            rows.Add(new JsonObject
            {
                ["cells"] = cells,
                ["object"] = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = metadata },
            });
        }
        return new JsonObject
        {
            ["kind"] = "Table", ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString() },
            ["columnDefinitions"] = new JsonArray([.. columns.Select(c =>
            {
                var definition = c.DeepClone().AsObject();
                definition.Remove("jsonPath");
                return (JsonNode)definition;
            })]),
            ["rows"] = rows,
        };
    }

    private static List<JsonObject> Columns(KubeApiResource resource)
    {
        var name = new JsonObject
        {
            ["name"] = "Name", ["type"] = "string", ["format"] = "name", ["priority"] = 0,
            ["description"] = "Name must be unique within a namespace.", ["jsonPath"] = ".metadata.name",
        };
        var age = new JsonObject
        {
            ["name"] = "Age", ["type"] = "date", ["format"] = "", ["priority"] = 0,
            ["description"] = "The object's age.", ["jsonPath"] = ".metadata.creationTimestamp",
        };
        var declared = resource.Crd?["spec"]?["versions"]?.AsArray()
            .FirstOrDefault(v => (string?)v?["name"] == resource.Version)?["additionalPrinterColumns"]?.AsArray();
        if (declared is null || declared.Count == 0) return [name, age];
        return [name, .. declared.Select(c => new JsonObject
        {
            ["name"] = c!["name"]!.DeepClone(), ["type"] = c["type"]!.DeepClone(), ["format"] = c["format"]?.DeepClone() ?? "",
            ["description"] = c["description"]?.DeepClone() ?? "", ["priority"] = c["priority"]?.DeepClone() ?? 0,
            ["jsonPath"] = c["jsonPath"]!.DeepClone(),
        })];
    }

    private static JsonNode? Select(JsonNode item, string path)
    {
        JsonNode? node = item;
        foreach (var part in path.TrimStart('.').Split('.', StringSplitOptions.RemoveEmptyEntries)) node = (node as JsonObject)?[part];
        return node;
    }

    private static string Age(TimeSpan age) =>
        age.TotalSeconds < 120 ? $"{Math.Max(0, (int)age.TotalSeconds)}s"
        : age.TotalMinutes < 120 ? $"{(int)age.TotalMinutes}m"
        : age.TotalHours < 48 ? $"{(int)age.TotalHours}h"
        : $"{(int)age.TotalDays}d";
}
