using System.Text.Json.Serialization;

namespace AppSwitch.Agent.Replication;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PublishedState))]
internal sealed partial class PublishedStateJsonContext : JsonSerializerContext;
