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

    public static List<JsonObject> Load(string path) => Documents(path, typed: false);

    /// <summary>The one document of that kind (and name, when given) in a file.</summary>
    public static JsonObject Find(string path, string kind, string? name = null) =>
        Load(path).Single(d => (string?)d["kind"] == kind && (name is null || (string?)d["metadata"]?["name"] == name));

    /// <summary>The documents as the API server would take them: plain scalars true/false and integers typed (to store in the stand-in).</summary>
    public static List<JsonObject> LoadTyped(string path) => Documents(path, typed: true);

    private static List<JsonObject> Documents(string path, bool typed)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        return [.. stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => ToJson(d.RootNode, typed)!.AsObject())];
    }

    private static JsonNode? ToJson(YamlNode node, bool typed = false) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value, typed)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(c => ToJson(c, typed))]),
        YamlScalarNode { Value: var value, Style: YamlDotNet.Core.ScalarStyle.Plain } when typed && value is "true" or "false" => JsonValue.Create(value == "true"),
        YamlScalarNode { Value: var value, Style: YamlDotNet.Core.ScalarStyle.Plain } when typed && long.TryParse(value, out var number) => JsonValue.Create(number),
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
