using System.Text.Json.Serialization;

namespace AppSwitch.Common.Rules;

/// <summary>
/// An Amalgam8 rule: a route rule (<see cref="Route"/>) or an action rule (<see cref="Actions"/>) for the instances
/// of the service <see cref="Destination"/>. Higher <see cref="Priority"/> wins. The JSON names are Amalgam8's.
/// </summary>
public sealed record Rule
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("priority"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Priority { get; init; }
    [JsonPropertyName("tags"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<string>? Tags { get; init; }
    [JsonPropertyName("destination")] public string Destination { get; init; } = "";
    [JsonPropertyName("match"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RuleMatch? Match { get; init; }
    [JsonPropertyName("route"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RuleRoute? Route { get; init; }
    [JsonPropertyName("actions"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<RuleAction>? Actions { get; init; }

    /// <summary>
    /// Set on an action rule made from xDS: it applies only to requests routed by the route rule of this id (Envoy
    /// runs the fault of the route that matched, not of a lower one). Not part of Amalgam8's JSON: never on the wire.
    /// </summary>
    [JsonIgnore] public string? ForRoute { get; init; }

    [JsonIgnore] public bool IsRoute => Route is not null;

    /// <summary>True when applying the rule needs request-level (L7) work: header matches, actions, uri, timeout, retries.</summary>
    [JsonIgnore] public bool NeedsHttp => Match?.Headers is { Count: > 0 } || Actions is { Count: > 0 } || Route?.NeedsHttp == true;
}

/// <summary>Which requests a rule applies to: the calling service (name and tags) and, for HTTP, header regexes.</summary>
public sealed record RuleMatch
{
    [JsonPropertyName("source"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RuleSource? Source { get; init; }
    [JsonPropertyName("headers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, string>? Headers { get; init; }
}

/// <summary>The calling service: its name and tags its instance must all carry.</summary>
public sealed record RuleSource
{
    [JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Name { get; init; }
    [JsonPropertyName("tags"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<string>? Tags { get; init; }
}
