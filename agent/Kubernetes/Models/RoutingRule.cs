using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>
/// The custom resource routingrules.amalgam8.io/v1 (KubernetesClient has no type for it). The spec stays raw JSON
/// here: the rule model (its parsing and validation) lives with the rules engine, which reads it from this element.
/// </summary>
public sealed class RoutingRule : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "amalgam8.io";
    public const string Version = "v1";
    public const string Plural = "routingrules";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "RoutingRule";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public JsonElement Spec { get; set; }
    [JsonPropertyName("status")] public RoutingRuleStatus? Status { get; set; }
}
