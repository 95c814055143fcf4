using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>A RoutingRule list answer: the items and the version to watch from.</summary>
public sealed class RoutingRuleList : IKubernetesObject<V1ListMeta>, IItems<RoutingRule>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{RoutingRule.Group}/{RoutingRule.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "RoutingRuleList";
    [JsonPropertyName("metadata")] public V1ListMeta Metadata { get; set; } = new();
    [JsonPropertyName("items")] public IList<RoutingRule> Items { get; set; } = [];
}
