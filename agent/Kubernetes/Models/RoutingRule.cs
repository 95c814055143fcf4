using System.Text.Json;

namespace AppSwitch.Agent.Kubernetes.Models;

/// <summary>
/// The custom resource routingrules.amalgam8.io/v1. The spec stays raw JSON here: the rule model
/// (its parsing and validation) lives with the rules engine, which reads it from this element.
/// </summary>
public sealed record RoutingRule : IKubeObject
{
    public ObjectMeta Metadata { get; init; } = new();
    public JsonElement Spec { get; init; }
    public RoutingRuleStatus? Status { get; init; }
}

public sealed record RoutingRuleStatus
{
    /// <summary>valid or invalid.</summary>
    public string? State { get; init; }
    public string? Message { get; init; }
}
