using System.Text.Json.Serialization;

namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>Source-generated JSON for the API objects we read (camelCase like Kubernetes; unknown fields ignored).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KubeStatus))]
[JsonSerializable(typeof(WatchEventRecord))]
[JsonSerializable(typeof(KubeList<Service>))]
[JsonSerializable(typeof(KubeList<EndpointSlice>))]
[JsonSerializable(typeof(KubeList<Endpoints>))]
[JsonSerializable(typeof(KubeList<Pod>))]
[JsonSerializable(typeof(KubeList<Workload>))]
[JsonSerializable(typeof(KubeList<Node>))]
[JsonSerializable(typeof(KubeList<RoutingRule>))]
public sealed partial class KubeJsonContext : JsonSerializerContext;
