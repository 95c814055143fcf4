using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>An AppSwitchNode list answer: the items and the version to watch from.</summary>
public sealed class AppSwitchNodeList : IKubernetesObject<V1ListMeta>, IItems<AppSwitchNode>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{AppSwitchNode.Group}/{AppSwitchNode.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "AppSwitchNodeList";
    [JsonPropertyName("metadata")] public V1ListMeta Metadata { get; set; } = new();
    [JsonPropertyName("items")] public IList<AppSwitchNode> Items { get; set; } = [];
}
