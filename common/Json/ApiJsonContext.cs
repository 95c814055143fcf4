using System.Text.Json.Serialization;
using AppSwitch.Common.Model;
using AppSwitch.Common.Rules;

namespace AppSwitch.Common.Json;

/// <summary>Source-generated JSON for everything the REST API exchanges (fast start-up, no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AppRecord))]
[JsonSerializable(typeof(List<AppRecord>))]
[JsonSerializable(typeof(ServerRecord))]
[JsonSerializable(typeof(List<ServerRecord>))]
[JsonSerializable(typeof(SocketRecord))]
[JsonSerializable(typeof(List<SocketRecord>))]
[JsonSerializable(typeof(NodeRecord))]
[JsonSerializable(typeof(List<NodeRecord>))]
[JsonSerializable(typeof(ClusterStats))]
[JsonSerializable(typeof(VServiceSpec))]
[JsonSerializable(typeof(VServiceRecord))]
[JsonSerializable(typeof(List<VServiceRecord>))]
[JsonSerializable(typeof(ProxyRecord))]
[JsonSerializable(typeof(List<ProxyRecord>))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(RuleList))]
[JsonSerializable(typeof(RulesByDestination))]
[JsonSerializable(typeof(RuleIds))]
[JsonSerializable(typeof(RuleErrors))]
[JsonSerializable(typeof(ServiceInstanceList))]
[JsonSerializable(typeof(ServiceNameList))]
[JsonSerializable(typeof(ServiceDetail))]
[JsonSerializable(typeof(KeyringRecord))]
[JsonSerializable(typeof(KeyRequest))]
[JsonSerializable(typeof(KeyChangeRecord))]
[JsonSerializable(typeof(XdsStatusRecord))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
