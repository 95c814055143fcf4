using System.Text.Json.Nodes;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// The few checks of the real server's validation for built-in kinds that the project's manifests could break: a
/// workload needs a selector that matches its pod template's labels and containers with a name and an image; a
/// (Cluster)RoleBinding needs a roleRef. The real server checks far more.
/// </summary>
public static class BuiltInValidator
{
    public static IEnumerable<string> Validate(string kind, JsonObject item) => kind switch
    {
        "Deployment" or "DaemonSet" or "ReplicaSet" or "StatefulSet" => Workload(item),
        "ClusterRoleBinding" or "RoleBinding" when item["roleRef"]?["name"] is null => ["roleRef.name: Required value"],
        _ => [],
    };

    private static IEnumerable<string> Workload(JsonObject item)
    {
        var selector = item["spec"]?["selector"]?["matchLabels"] as JsonObject;
        var labels = item["spec"]?["template"]?["metadata"]?["labels"] as JsonObject;
        if (selector is null || selector.Count == 0) yield return "spec.selector: Required value";
        else if (selector.Any(s => (string?)labels?[s.Key] != (string?)s.Value))
            yield return "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`";
        var containers = item["spec"]?["template"]?["spec"]?["containers"] as JsonArray;
        if (containers is null || containers.Count == 0)
        {
            yield return "spec.template.spec.containers: Required value";
            yield break;
        }
        for (var i = 0; i < containers.Count; i++)
        {
            if (containers[i]?["name"] is null) yield return $"spec.template.spec.containers[{i}].name: Required value";
            if (containers[i]?["image"] is null) yield return $"spec.template.spec.containers[{i}].image: Required value";
        }
    }
}
