using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Models;

public sealed class RoutingRuleStatus
{
    /// <summary>valid or invalid.</summary>
    [JsonPropertyName("state")] public string? State { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}
