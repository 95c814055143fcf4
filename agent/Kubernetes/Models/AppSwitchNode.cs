using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>
/// The custom resource appswitchnodes.appswitch.io/v1 (cluster-scoped, named after the node): one node's apps,
/// servers, vservices and rules as its agent publishes them (--replication kube), read by every other agent.
/// </summary>
public sealed class AppSwitchNode : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "appswitch.io";
    public const string Version = "v1";
    public const string Plural = "appswitchnodes";
    public const string KindName = "AppSwitchNode";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = KindName;
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public AppSwitchNodeSpec Spec { get; set; } = new();
}
