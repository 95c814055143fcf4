using System.Text.Json.Nodes;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>One resource the stand-in serves: where its collection lives and what discovery says about it.</summary>
public sealed record KubeApiResource(string Group, string Version, string Plural, string Singular, string Kind, bool Namespaced,
    string[] ShortNames, bool HasStatus, JsonObject? Crd = null)
{
    public string GroupVersion => Group == "" ? Version : $"{Group}/{Version}";
    /// <summary>The stand-in's collection key (`/api/v1/pods`, `/apis/amalgam8.io/v1/routingrules`).</summary>
    public string Collection => (Group == "" ? "/api/v1" : $"/apis/{Group}/{Version}") + "/" + Plural;
    public string ApiVersion => GroupVersion;
}

/// <summary>
/// The discovery documents kubectl reads before anything else (`/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`):
/// the built-in kinds the project's manifests and the agent use, and every kind a stored CustomResourceDefinition
/// serves — a CRD's resource appears in discovery once the CRD is created and leaves when it is deleted, as on a
/// real server. Aggregated discovery (apidiscovery.k8s.io/v2) is not served: kubectl asks for it first and falls
/// back to these legacy documents when the answer's content type is plain application/json.
/// </summary>
public static class KubeApiCatalog
{
    public const string CrdCollection = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    private static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static readonly IReadOnlyList<KubeApiResource> BuiltIn =
    [
        new("", "v1", "namespaces", "namespace", "Namespace", false, ["ns"], true),
        new("", "v1", "nodes", "node", "Node", false, ["no"], true),
        new("", "v1", "pods", "pod", "Pod", true, ["po"], true),
        new("", "v1", "services", "service", "Service", true, ["svc"], true),
        new("", "v1", "endpoints", "endpoints", "Endpoints", true, ["ep"], false),
        new("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, ["sa"], false),
        new("", "v1", "configmaps", "configmap", "ConfigMap", true, ["cm"], false),
        new("", "v1", "secrets", "secret", "Secret", true, [], false),
        new("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true, ["rc"], true),
        new("apps", "v1", "deployments", "deployment", "Deployment", true, ["deploy"], true),
        new("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, ["rs"], true),
        new("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, ["ds"], true),
        new("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, ["sts"], true),
        new("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, [], false),
        new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, [], false),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, [], false),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, [], false),
        new("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, [], false),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, [], false),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false,
            ["crd", "crds"], true),
    ];

    /// <summary>The built-in resources and those of the given CRDs' served versions.</summary>
    public static List<KubeApiResource> Resources(IEnumerable<JsonObject> crds)
    {
        var all = BuiltIn.ToList();
        foreach (var crd in crds)
        {
            var spec = crd["spec"];
            var names = spec?["names"];
            foreach (var version in spec?["versions"]?.AsArray() ?? [])
            {
                if (version?["served"]?.GetValue<bool>() != true) continue;
                all.Add(new KubeApiResource((string)spec!["group"]!, (string)version["name"]!, (string)names!["plural"]!,
                    (string?)names["singular"] ?? ((string)names["kind"]!).ToLowerInvariant(), (string)names["kind"]!,
                    (string?)spec["scope"] == "Namespaced",
                    [.. names["shortNames"]?.AsArray().Select(n => (string)n!) ?? []],
                    version["subresources"]?["status"] is not null, crd));
            }
        }
        return all;
    }

    /// <summary>`/version`.</summary>
    public static JsonObject Version() => new()
    {
        ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0", ["gitCommit"] = "appswitch-stand-in",
        ["gitTreeState"] = "clean", ["buildDate"] = "2026-01-01T00:00:00Z", ["goVersion"] = "go1.23.0",
        ["compiler"] = "gc", ["platform"] = "linux/amd64",
    };

    /// <summary>`/api`: the core group's versions.</summary>
    public static JsonObject CoreVersions(Uri server) => new()
    {
        ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = server.Authority }),
    };

    /// <summary>`/apis`: every named group with its versions.</summary>
    public static JsonObject Groups(IEnumerable<KubeApiResource> resources)
    {
        var groups = new JsonArray();
        foreach (var group in resources.Where(r => r.Group != "").GroupBy(r => r.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var versions = group.Select(r => r.Version).Distinct().ToList();
            JsonObject Entry(string v) => new() { ["groupVersion"] = $"{group.Key}/{v}", ["version"] = v };
            groups.Add(new JsonObject
            {
                ["name"] = group.Key,
                ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)Entry(v))]),
                ["preferredVersion"] = Entry(versions[0]),
            });
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    /// <summary>`/api/v1` or `/apis/GROUP/VERSION`: the resources (and status subresources) of one group version, or null.</summary>
    public static JsonObject? ResourceList(IEnumerable<KubeApiResource> resources, string group, string version)
    {
        var list = resources.Where(r => r.Group == group && r.Version == version).ToList();
        if (list.Count == 0) return null;
        var entries = new JsonArray();
        foreach (var r in list)
        {
            entries.Add(new JsonObject
            {
                ["name"] = r.Plural, ["singularName"] = r.Singular, ["namespaced"] = r.Namespaced, ["kind"] = r.Kind,
                ["verbs"] = new JsonArray([.. AllVerbs.Select(v => (JsonNode)v)]),
                ["shortNames"] = new JsonArray([.. r.ShortNames.Select(s => (JsonNode)s)]),
            });
            if (r.HasStatus)
                entries.Add(new JsonObject
                {
                    ["name"] = r.Plural + "/status", ["singularName"] = "", ["namespaced"] = r.Namespaced, ["kind"] = r.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = list[0].GroupVersion, ["resources"] = entries,
        };
    }
}
