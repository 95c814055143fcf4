using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// What the real `kubectl` needs beyond the agent's list/watch/status: discovery (`/version`, `/api`, `/apis`, the group
/// versions, CRD-served kinds included), single-object GET, create (POST, with `?dryRun=All`), replace (PUT), JSON merge
/// and strategic merge PATCH, DELETE, lists with `fieldSelector=metadata.name=…` (kubectl delete's wait) and the
/// server-side Table of `kubectl get`. Objects live in the same collections as <see cref="Put"/>'s, so the agent's
/// watches see kubectl's writes. Every request needs the bearer token, as the agent's do.
/// </summary>
public sealed partial class FakeKubeApiServer
{
    private static readonly string[] AlwaysThereNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>Serves the request when it is one of kubectl's that the list/watch/status handler does not; false otherwise.</summary>
    private async Task<bool> TryServeKubectlAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var method = context.Request.Method;
        var resourceMatch = ResourcePath().Match(path);
        var groupVersion = GroupVersionPath().Match(path);
        var isDiscovery = method == "GET" && ((path is "/version" or "/api" or "/apis" or "/openapi/v2" or "/openapi/v3" || path.StartsWith("/openapi/v3/", StringComparison.Ordinal)) || groupVersion.Success);
        if (!isDiscovery)
        {
            if (!resourceMatch.Success || resourceMatch.Groups["sub"].Success) return false;
            // Watches (even with a fieldSelector, which the old handler ignores) and plain lists stay with the agent's handler.
            var plainList = method == "GET" && !resourceMatch.Groups["name"].Success
                && (context.Request.Query["watch"] is ["1" or "true"] || (!WantsTable(context) && string.IsNullOrEmpty(context.Request.Query["fieldSelector"])));
            if (plainList && !(OnlyServedResources && IsUnservedCustomCollection(resourceMatch))) return false;
        }
        _requests.AddOrUpdate($"{method.ToLowerInvariant()} {path}", 1, (_, n) => n + 1);
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            await WriteJson(context, 401, Failure(401, "Unauthorized", "Unauthorized"));
            return true;
        }
        try
        {
            if (isDiscovery) await ServeDiscoveryAsync(context, path, groupVersion);
            else await ServeObjectAsync(context, resourceMatch);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            // A stand-in bug shows in kubectl's error line instead of an empty 500.
            await WriteJson(context, 500, Failure(500, "InternalError", $"stand-in failure: {e}"));
        }
        return true;
    }

    /// <summary>
    /// Lists and watches of a custom resource whose CRD is not stored get 404, as on a real server (off by default: the
    /// older tests put RoutingRules without a CRD).
    /// </summary>
    public bool OnlyServedResources { get; set; }

    private bool IsUnservedCustomCollection(Match match) =>
        match.Groups["group"].Success && !KubeApiCatalog.BuiltIn.Any(r => r.Group == match.Groups["group"].Value)
        && !ServedResources().Any(r => r.Group == match.Groups["group"].Value && r.Version == match.Groups["version"].Value && r.Plural == match.Groups["plural"].Value);

    private List<KubeApiResource> ServedResources()
    {
        lock (_gate) return KubeApiCatalog.Resources([.. Collection(KubeApiCatalog.CrdCollection).Values.Select(c => c.DeepClone().AsObject())]);
    }

    private async Task ServeDiscoveryAsync(HttpContext context, string path, Match groupVersion)
    {
        // Only the legacy documents (application/json): kubectl then skips aggregated discovery. OpenAPI v3 only as far
        // as kubectl needs it to leave validation to the server (fieldValidation=Strict, which the writes honour).
        JsonObject? answer = path switch
        {
            "/version" => KubeApiCatalog.Version(),
            "/openapi/v3" => KubeOpenApi.Root(ServedResources()),
            _ when path.StartsWith("/openapi/v3/", StringComparison.Ordinal) => KubeOpenApi.GroupVersion(ServedResources(), path["/openapi/v3/".Length..]),
            "/api" => KubeApiCatalog.CoreVersions(Url),
            "/apis" => KubeApiCatalog.Groups(ServedResources()),
            _ when groupVersion.Success => KubeApiCatalog.ResourceList(ServedResources(),
                groupVersion.Groups["group"].Success ? groupVersion.Groups["group"].Value : "", groupVersion.Groups["version"].Value),
            _ => null,
        };
        if (answer is null) await WriteJson(context, 404, Failure(404, "NotFound", $"the server could not find the requested resource ({path})"));
        else await WriteJson(context, 200, answer);
    }

    private async Task ServeObjectAsync(HttpContext context, Match match)
    {
        var group = match.Groups["group"].Success ? match.Groups["group"].Value : "";
        var version = match.Groups["version"].Success ? match.Groups["version"].Value : "v1";
        var plural = match.Groups["plural"].Value;
        var resource = ServedResources().FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);
        if (resource is null)
        {
            await WriteJson(context, 404, Failure(404, "NotFound", $"the server could not find the requested resource ({context.Request.Path})"));
            return;
        }
        var @namespace = match.Groups["ns"].Success ? match.Groups["ns"].Value : null;
        var name = match.Groups["name"].Success ? match.Groups["name"].Value : null;
        if (resource.Namespaced != (@namespace is not null) && !(context.Request.Method == "GET" && name is null))
        {
            await WriteJson(context, 404, Failure(404, "NotFound", $"the server could not find the requested resource ({context.Request.Path})"));
            return;
        }
        var (code, answer) = context.Request.Method switch
        {
            "GET" when name is null => List(context, resource, @namespace),
            "GET" => Read(context, resource, @namespace, name),
            "POST" when name is null => Create(resource, @namespace, await ReadBodyAsync(context), DryRun(context), Strict(context)),
            "PUT" when name is not null => Write(resource, @namespace, name, await ReadBodyAsync(context), null, DryRun(context), Strict(context)),
            "PATCH" when name is not null => Write(resource, @namespace, name, await ReadBodyAsync(context),
                context.Request.ContentType?.Split(';')[0].Trim(), DryRun(context), Strict(context)),
            "DELETE" when name is not null => Remove(resource, @namespace, name, DryRun(context)),
            _ => (405, Failure(405, "MethodNotAllowed", $"{context.Request.Method} is not supported on {context.Request.Path}")),
        };
        await WriteJson(context, code, answer);
    }

    private (int, JsonObject) List(HttpContext context, KubeApiResource resource, string? @namespace)
    {
        var selector = FieldSelector(context.Request.Query["fieldSelector"].ToString());
        if (selector is null)
            return (400, Failure(400, "BadRequest", $"unable to parse requested fieldSelector: {context.Request.Query["fieldSelector"]}"));
        List<JsonObject> items;
        long version;
        lock (_gate)
        {
            items = [.. Collection(resource.Collection).Values.Where(i => InNamespace(i, @namespace))
                .Where(i => selector.All(s => (string?)i["metadata"]?[s.Key] == s.Value)).OrderBy(Key).Select(i => i.DeepClone().AsObject())];
            version = _version;
        }
        if (WantsTable(context)) return (200, KubeTable.Of(resource, items, version, DateTimeOffset.UtcNow));
        return (200, new JsonObject
        {
            ["kind"] = resource.Kind + "List", ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString() },
            ["items"] = new JsonArray([.. items.Select(i => (JsonNode)i)]),
        });
    }

    private (int, JsonObject) Read(HttpContext context, KubeApiResource resource, string? @namespace, string name)
    {
        JsonObject? item;
        long version;
        lock (_gate)
        {
            item = Collection(resource.Collection).GetValueOrDefault($"{@namespace}/{name}")?.DeepClone().AsObject();
            version = _version;
        }
        if (item is null) return (404, NotFound(resource, name));
        return (200, WantsTable(context) ? KubeTable.Of(resource, [item], version, DateTimeOffset.UtcNow) : item);
    }

    private (int, JsonObject) Create(KubeApiResource resource, string? @namespace, JsonObject? body, bool dryRun, bool strict)
    {
        if (body is null) return (400, Failure(400, "BadRequest", "the request body must be a JSON object"));
        var name = (string?)body["metadata"]?["name"];
        if (Problem(resource, @namespace, body) is { } problem) return problem;
        var item = body.DeepClone().AsObject();
        var metadata = item["metadata"]!.AsObject();
        if (@namespace is not null) metadata["namespace"] = @namespace;
        if (resource.HasStatus && resource.Crd is not null) item.Remove("status");
        if (Validate(resource, item, name!, strict) is { } invalid) return invalid;
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
        metadata["generation"] = 1;
        metadata.Remove("resourceVersion");
        if (resource.Collection == KubeApiCatalog.CrdCollection) item["status"] = CrdStatus(item);
        lock (_gate)
        {
            var items = Collection(resource.Collection);
            if (items.ContainsKey($"{@namespace}/{name}"))
                return (409, Failure(409, "AlreadyExists", $"{Qualified(resource)} \"{name}\" already exists", resource, name));
            if (!dryRun) Store(resource, items, $"{@namespace}/{name}", item, "ADDED");
        }
        return (201, item);
    }

    /// <summary>PUT (<paramref name="patchType"/> null) or PATCH: the new object keeps identity, creation time and (where there is a status subresource) status.</summary>
    private (int, JsonObject) Write(KubeApiResource resource, string? @namespace, string name, JsonObject? body, string? patchType, bool dryRun, bool strict)
    {
        if (body is null) return (400, Failure(400, "BadRequest", "the request body must be a JSON object"));
        if (patchType is not (null or "application/merge-patch+json" or "application/strategic-merge-patch+json")
            || (patchType == "application/strategic-merge-patch+json" && resource.Crd is not null))
            return (415, Failure(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: " +
                "application/merge-patch+json" + (resource.Crd is null ? ", application/strategic-merge-patch+json" : "")));
        lock (_gate)
        {
            var items = Collection(resource.Collection);
            if (!items.TryGetValue($"{@namespace}/{name}", out var current)) return (404, NotFound(resource, name));
            var sent = (string?)body["metadata"]?["resourceVersion"];
            if (sent is not null && sent != (string?)current["metadata"]!["resourceVersion"])
                return (409, Failure(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(resource)} \"{name}\": the object has been modified; " +
                    "please apply your changes to the latest version and try again", resource, name));
            var next = (patchType switch
            {
                null => body.DeepClone(),
                "application/merge-patch+json" => KubeObjectPatch.Merge(current, body),
                _ => KubeObjectPatch.Strategic(current, body),
            })!.AsObject();
            if ((string?)next["metadata"]?["name"] != name)
                return (400, Failure(400, "BadRequest", $"the name of the object ({next["metadata"]?["name"]}) does not match the name on the URL ({name})"));
            if (Problem(resource, @namespace, next) is { } problem) return problem;
            var metadata = next["metadata"]!.AsObject();
            foreach (var kept in new[] { "uid", "creationTimestamp", "namespace" })
                if (current["metadata"]![kept] is { } value) metadata[kept] = value.DeepClone(); else metadata.Remove(kept);
            if (resource.HasStatus)
            {
                if (current["status"] is { } status) next["status"] = status.DeepClone(); else next.Remove("status");
            }
            if (Validate(resource, next, name, strict) is { } invalid) return invalid;
            var generation = current["metadata"]!["generation"] is { } stored ? long.Parse(stored.ToJsonString()) : 1;
            metadata["generation"] = JsonNode.DeepEquals(Desired(current), Desired(next)) ? generation : generation + 1;
            if (!dryRun) Store(resource, items, $"{@namespace}/{name}", next, "MODIFIED");
            return (200, next);
        }
    }

    /// <summary>Under the gate: the object gets the next resourceVersion, is stored and its event published to the watches.</summary>
    private void Store(KubeApiResource resource, Dictionary<string, JsonObject> items, string key, JsonObject item, string eventType)
    {
        var version = ++_version;
        item["metadata"]!["resourceVersion"] = version.ToString();
        items[key] = item.DeepClone().AsObject();
        Publish(new StoredEvent(resource.Collection, version, eventType, item.DeepClone().AsObject()));
    }

    private (int, JsonObject) Remove(KubeApiResource resource, string? @namespace, string name, bool dryRun)
    {
        lock (_gate)
        {
            var items = Collection(resource.Collection);
            if (!items.TryGetValue($"{@namespace}/{name}", out var item)) return (404, NotFound(resource, name));
            if (dryRun) return (200, item.DeepClone().AsObject());
            items.Remove($"{@namespace}/{name}");
            var version = ++_version;
            item["metadata"]!["resourceVersion"] = version.ToString();
            Publish(new StoredEvent(resource.Collection, version, "DELETED", item.DeepClone().AsObject()));
            // A deleted CRD takes its custom resources with it.
            if (resource.Collection == KubeApiCatalog.CrdCollection)
                foreach (var served in KubeApiCatalog.Resources([item]))
                {
                    var objects = Collection(served.Collection);
                    foreach (var (key, cr) in objects.ToList())
                    {
                        objects.Remove(key);
                        var at = ++_version;
                        cr["metadata"]!["resourceVersion"] = at.ToString();
                        Publish(new StoredEvent(served.Collection, at, "DELETED", cr.DeepClone().AsObject()));
                    }
                }
            return (200, item.DeepClone().AsObject());
        }
    }

    /// <summary>What a body must be whatever the kind: the resource's kind and apiVersion, a name, the URL's namespace.</summary>
    private static (int, JsonObject)? Problem(KubeApiResource resource, string? @namespace, JsonObject body)
    {
        if ((string?)body["kind"] != resource.Kind || (string?)body["apiVersion"] != resource.ApiVersion)
            return (400, Failure(400, "BadRequest", $"the API version in the data ({body["apiVersion"]}) and kind ({body["kind"]}) do not match " +
                $"the resource's ({resource.ApiVersion}, {resource.Kind})"));
        var name = (string?)body["metadata"]?["name"];
        if (string.IsNullOrEmpty(name))
            return (422, Invalid(resource, "", [$"metadata.name: Required value: name or generateName is required"]));
        var sentNamespace = (string?)body["metadata"]?["namespace"];
        if (@namespace is not null && sentNamespace is not null && sentNamespace != @namespace)
            return (400, Failure(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"));
        if (@namespace is not null && !AlwaysThereNamespaces.Contains(@namespace))
            return (404, Failure(404, "NotFound", $"namespaces \"{@namespace}\" not found"));
        return null;
    }

    /// <summary>The kind's own rules: a custom resource against its CRD's schema, a few built-in ones' required fields.</summary>
    private static (int, JsonObject)? Validate(KubeApiResource resource, JsonObject item, string name, bool strict)
    {
        var errors = new List<string>();
        if (!DnsSubdomain().IsMatch(name))
            errors.Add($"metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric " +
                "characters, '-' or '.', and must start and end with an alphanumeric character");
        if (resource.Crd is not null) errors.AddRange(CrdSchemaValidator.Validate(resource.Crd, resource.Version, item, strict));
        else errors.AddRange(BuiltInValidator.Validate(resource.Kind, item));
        return errors.Count == 0 ? null : (422, Invalid(resource, name, errors));
    }

    /// <summary>The CRD's status right after creation: its names accepted and it is established (there is no controller to wait for).</summary>
    private static JsonObject CrdStatus(JsonObject crd) => new()
    {
        ["acceptedNames"] = crd["spec"]?["names"]?.DeepClone(),
        ["conditions"] = new JsonArray(
            new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts" },
            new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted" }),
        ["storedVersions"] = new JsonArray([.. crd["spec"]?["versions"]?.AsArray().Where(v => v?["storage"]?.GetValue<bool>() == true)
            .Select(v => (JsonNode)(string)v!["name"]!) ?? []]),
    };

    /// <summary>An object without metadata and status: what a change of bumps metadata.generation.</summary>
    private static JsonObject Desired(JsonObject item)
    {
        var copy = item.DeepClone().AsObject();
        copy.Remove("metadata");
        copy.Remove("status");
        return copy;
    }

    private static Dictionary<string, string>? FieldSelector(string selector)
    {
        var result = new Dictionary<string, string>();
        foreach (var term in selector.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = term.Split('=', 2);
            var field = parts[0].TrimEnd('=');
            if (parts.Length != 2 || field is not ("metadata.name" or "metadata.namespace")) return null;
            result[field["metadata.".Length..]] = parts[1].TrimStart('=');
        }
        return result;
    }

    private static bool WantsTable(HttpContext context) => context.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);
    private static bool DryRun(HttpContext context) => context.Request.Query["dryRun"] is ["All"];
    private static bool Strict(HttpContext context) => context.Request.Query["fieldValidation"] is ["Strict"];

    private static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        try { return JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync()) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static string Qualified(KubeApiResource resource) => resource.Group == "" ? resource.Plural : $"{resource.Plural}.{resource.Group}";

    private static JsonObject NotFound(KubeApiResource resource, string name) =>
        Failure(404, "NotFound", $"{Qualified(resource)} \"{name}\" not found", resource, name);

    /// <summary>422 as the real server words it; kubectl prints the causes ("The RoutingRule "x" is invalid: FIELD: MESSAGE").</summary>
    private static JsonObject Invalid(KubeApiResource resource, string name, IReadOnlyList<string> errors)
    {
        var status = Failure(422, "Invalid", $"{resource.Kind}{(resource.Group == "" ? "" : "." + resource.Group)} \"{name}\" is invalid: " +
            (errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]"), resource, name);
        status["details"]!["kind"] = resource.Kind;
        status["details"]!["causes"] = new JsonArray([.. errors.Select(e =>
        {
            var parts = e.Split(": ", 2);
            return (JsonNode)new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = parts[^1], ["field"] = parts[0] };
        })]);
        return status;
    }

    private static JsonObject Failure(int code, string reason, string message, KubeApiResource? resource = null, string? name = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason, ["code"] = code,
        };
        if (resource is not null)
            status["details"] = new JsonObject { ["name"] = name, ["group"] = resource.Group, ["kind"] = resource.Plural };
        return status;
    }

    private static async Task WriteJson(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    [GeneratedRegex("^(/api/v1|/apis/(?<group>[^/]+)/(?<version>[^/]+))(/namespaces/(?<ns>[^/]+))?/(?<plural>[a-z0-9]+)(/(?<name>[^/]+))?(/(?<sub>status))?$")]
    private static partial Regex ResourcePath();

    [GeneratedRegex("^(/api/(?<version>v1)|/apis/(?<group>[^/]+)/(?<version>[^/]+))$")]
    private static partial Regex GroupVersionPath();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
