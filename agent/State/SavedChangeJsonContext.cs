using System.Text.Json.Serialization;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.State;

/// <summary>One line per change: no indentation.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(SavedChange))]
public sealed partial class SavedChangeJsonContext : JsonSerializerContext;
