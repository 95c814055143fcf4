using System.Text.Json;
using System.Text.Json.Serialization;
using AppSwitch.Agent.Cluster;

namespace AppSwitch.Agent.State;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SavedKeyring))]
public sealed partial class SavedKeyringJsonContext : JsonSerializerContext;
