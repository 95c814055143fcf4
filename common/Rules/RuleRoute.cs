using System.Text.Json.Serialization;

namespace AppSwitch.Common.Rules;

/// <summary>Where a route rule sends traffic: backends chosen by tags and weights, plus HTTP-only settings.</summary>
public sealed record RuleRoute
{
    [JsonPropertyName("backends")] public List<RuleBackend> Backends { get; init; } = [];
    [JsonPropertyName("uri"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RuleUri? Uri { get; init; }
    /// <summary>Seconds.</summary>
    [JsonPropertyName("http_req_timeout"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? HttpReqTimeout { get; init; }
    [JsonPropertyName("http_req_retries"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? HttpReqRetries { get; init; }

    /// <summary>
    /// The response statuses that are retried; null: every 5xx (Amalgam8's meaning). Set only by the xDS translation
    /// (Envoy's retry_on/retriable_status_codes); not part of Amalgam8's JSON.
    /// </summary>
    [JsonIgnore] public IReadOnlyList<int>? HttpReqRetryStatuses { get; init; }

    /// <summary>True when applying the route needs request-level (L7) work.</summary>
    [JsonIgnore] public bool NeedsHttp => Uri is not null || HttpReqTimeout is not null || HttpReqRetries is not null;
}

/// <summary>
/// The instances whose tags include all of <see cref="Tags"/> (of service <see cref="Name"/>, by default the rule's
/// destination). Without a weight, a backend shares what the weighted ones leave.
/// </summary>
public sealed record RuleBackend
{
    [JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Name { get; init; }
    [JsonPropertyName("tags")] public List<string> Tags { get; init; } = [];
    [JsonPropertyName("weight"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Weight { get; init; }

    /// <summary>
    /// The xDS cluster this backend came from (`outbound|9080|v2|reviews…`): its EDS endpoint weights and priorities
    /// choose among the backend's instances. Set only by the xDS translation; not part of Amalgam8's JSON.
    /// </summary>
    [JsonIgnore] public string? XdsCluster { get; init; }
}

/// <summary>The request path to match (exactly or by prefix) and an optional prefix rewrite.</summary>
public sealed record RuleUri
{
    [JsonPropertyName("path"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Path { get; init; }
    [JsonPropertyName("prefix"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Prefix { get; init; }
    [JsonPropertyName("prefix_rewrite"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PrefixRewrite { get; init; }
}
