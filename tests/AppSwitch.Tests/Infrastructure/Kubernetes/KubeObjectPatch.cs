using System.Text.Json.Nodes;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// The two patch formats `kubectl apply` (client-side) and `kubectl patch` send: a JSON merge patch (RFC 7386; what
/// kubectl sends for custom resources) and a strategic merge patch (built-in kinds). The strategic one is the subset
/// kubectl's three-way patches of our manifests use: maps merge, `null` deletes, lists of objects that all carry a
/// `name` merge by name (the patch merge key of containers, env, volumes, volumeMounts, ports), `$patch: delete|replace`
/// in a list item or map, and the `$setElementOrder/…`, `$retainKeys`, `$deleteFromPrimitiveList/…` directives are
/// dropped. Lists keyed by other fields (a Service's ports by `port`) are replaced, not merged — a real server
/// merges those too.
/// </summary>
public static class KubeObjectPatch
{
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject t ? t.DeepClone().AsObject() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) result.Remove(key);
            else result[key] = Merge(result[key], value);
        }
        return result;
    }

    public static JsonNode? Strategic(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var directive = (string?)(patchObject["$patch"] as JsonValue);
        if (directive == "replace")
        {
            var replaced = patchObject.DeepClone().AsObject();
            replaced.Remove("$patch");
            return replaced;
        }
        if (directive == "delete") return null;
        var result = target is JsonObject t ? t.DeepClone().AsObject() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (key.StartsWith('$')) continue;
            if (value is null) result.Remove(key);
            else if (value is JsonArray list && result[key] is JsonArray current) result[key] = StrategicList(current, list);
            else
            {
                var merged = Strategic(result[key], value);
                if (merged is null) result.Remove(key); else result[key] = merged;
            }
        }
        return result;
    }

    private static JsonArray StrategicList(JsonArray current, JsonArray patch)
    {
        static bool Named(JsonArray list) => list.Count > 0 && list.All(i => i is JsonObject o && o["name"] is JsonValue);
        if (!Named(current) || !patch.All(i => i is JsonObject o && o["name"] is JsonValue)) return patch.DeepClone().AsArray();
        var merged = current.Select(i => i!.DeepClone().AsObject()).ToList();
        foreach (var item in patch.Select(i => i!.AsObject()))
        {
            var name = (string?)item["name"];
            var index = merged.FindIndex(m => (string?)m["name"] == name);
            var patched = Strategic(index >= 0 ? merged[index] : null, item);
            if (index >= 0)
            {
                if (patched is null) merged.RemoveAt(index); else merged[index] = patched.AsObject();
            }
            else if (patched is not null) merged.Add(patched.AsObject());
        }
        return new JsonArray([.. merged.Select(m => (JsonNode)m)]);
    }
}
