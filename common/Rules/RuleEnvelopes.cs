using System.Text.Json.Serialization;

namespace AppSwitch.Common.Rules;

/// <summary>The Amalgam8 controller's list: `{"rules":[…],"revision":N}` (the body of POST/PUT too, revision ignored).</summary>
public sealed record RuleList
{
    [JsonPropertyName("rules")] public List<Rule> Rules { get; init; } = [];
    [JsonPropertyName("revision"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Revision { get; init; }
}

/// <summary>`GET /v1/rules/routes|actions`: the rules grouped by destination, `{"services":{"reviews":[…]}}`.</summary>
public sealed record RulesByDestination
{
    [JsonPropertyName("services")] public Dictionary<string, List<Rule>> Services { get; init; } = [];
    [JsonPropertyName("revision")] public long Revision { get; init; }
}

/// <summary>The answer of POST /v1/rules: the ids of the created rules (generated ones included).</summary>
public sealed record RuleIds
{
    [JsonPropertyName("ids")] public List<string> Ids { get; init; } = [];
}

/// <summary>A rejected batch: every problem as `path: reason` (the first one also in `error`, as every REST error has).</summary>
public sealed record RuleErrors
{
    [JsonPropertyName("error")] public string Error { get; init; } = "";
    [JsonPropertyName("errors")] public List<string> Errors { get; init; } = [];
}
