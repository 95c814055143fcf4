using System.Text.Json.Serialization;

namespace AppSwitch.Common.Rules;

/// <summary>
/// One action of an action rule, applied to requests going to destination instances carrying all of <see cref="Tags"/>:
/// `delay` (probability, duration in seconds), `abort` (probability, return_code) or `trace` (log_key, log_value).
/// </summary>
public sealed record RuleAction
{
    public const string Delay = "delay";
    public const string Abort = "abort";
    public const string Trace = "trace";

    [JsonPropertyName("action")] public string Action { get; init; } = "";
    [JsonPropertyName("tags")] public List<string> Tags { get; init; } = [];
    [JsonPropertyName("probability"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Probability { get; init; }
    [JsonPropertyName("duration"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Duration { get; init; }
    [JsonPropertyName("return_code"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ReturnCode { get; init; }
    [JsonPropertyName("log_key"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? LogKey { get; init; }
    [JsonPropertyName("log_value"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? LogValue { get; init; }
}
