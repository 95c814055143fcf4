using System.Text.Json.Serialization;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.State;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SavedState))]
public sealed partial class SavedStateJsonContext : JsonSerializerContext;
