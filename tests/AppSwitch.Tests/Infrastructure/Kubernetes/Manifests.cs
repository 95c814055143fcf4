using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>The repository's Kubernetes manifests, parsed with YamlDotNet into JSON nodes (scalars stay text) for checking.</summary>
public static class Manifests
{
    public static string DaemonSetFile => Path.Combine(RepoLayout.RepoRoot, "kube-daemonset.yaml");
    public static string DeployDir => Path.Combine(RepoLayout.RepoRoot, "deploy");

    /// <summary>Every YAML manifest we ship: kube-daemonset.yaml and deploy/**.yaml.</summary>
    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(DeployDir, "*.yaml", SearchOption.AllDirectories).Prepend(DaemonSetFile).Order();

    public static List<JsonObject> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        return [.. stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => ToJson(d.RootNode)!.AsObject())];
    }

    /// <summary>The one document of that kind (and name, when given) in a file.</summary>
    public static JsonObject Find(string path, string kind, string? name = null) =>
        Load(path).Single(d => (string?)d["kind"] == kind && (name is null || (string?)d["metadata"]?["name"] == name));

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Value: var value } => value is null ? null : JsonValue.Create(value),
        _ => throw new NotSupportedException(node.NodeType.ToString()),
    };

    /// <summary>The scalar at a dotted path (`spec.ports.0.name`).</summary>
    public static string Text(this JsonNode? node, string path) =>
        At(node, path)?.GetValue<string>() ?? throw new KeyNotFoundException($"{path} is missing");

    public static JsonArray Array(this JsonNode? node, string path) =>
        At(node, path) as JsonArray ?? throw new KeyNotFoundException($"{path} is missing or not a list");

    private static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.')) node = int.TryParse(part, out var i) ? node?[i] : node?[part];
        return node;
    }

    public static IEnumerable<string> Texts(this JsonNode? node, string path) => node.Array(path).Select(n => n!.GetValue<string>());
}
