using System.Text.Json.Serialization;

namespace AppSwitch.Common.Model;

/// <summary>
/// An instance of a service in the Amalgam8 registry's shape: a server of an app started with `--name`, its labels
/// as `k=v` tags, its endpoint type from `ax run --protocol` (tcp unless declared; udp servers are udp).
/// </summary>
public sealed record ServiceInstanceRecord
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("service_name")] public string ServiceName { get; init; } = "";
    [JsonPropertyName("endpoint")] public ServiceEndpoint Endpoint { get; init; } = new("tcp", "");
    [JsonPropertyName("status")] public string Status { get; init; } = "UP";
    [JsonPropertyName("tags")] public List<string> Tags { get; init; } = [];
    [JsonPropertyName("node_id")] public string NodeId { get; init; } = "";
    [JsonPropertyName("app_id")] public string AppId { get; init; } = "";
}

public sealed record ServiceEndpoint(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] string Value);

/// <summary>`GET /api/v1/instances`.</summary>
public sealed record ServiceInstanceList([property: JsonPropertyName("instances")] List<ServiceInstanceRecord> Instances);

/// <summary>`GET /api/v1/services`.</summary>
public sealed record ServiceNameList([property: JsonPropertyName("services")] List<string> Services);

/// <summary>`GET /api/v1/services/{name}`.</summary>
public sealed record ServiceDetail(
    [property: JsonPropertyName("service_name")] string ServiceName,
    [property: JsonPropertyName("instances")] List<ServiceInstanceRecord> Instances);
