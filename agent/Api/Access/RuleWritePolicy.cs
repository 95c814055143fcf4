using AppSwitch.Agent.Configuration;

namespace AppSwitch.Agent.Api.Access;

/// <summary>
/// With --rules-adapter kubernetes the RoutingRule objects are the rules' only source (guarded by Kubernetes RBAC):
/// writes of /v1/rules through the agent's API would bypass that, so they are refused on every path.
/// </summary>
internal static class RuleWritePolicy
{
    private const string RulesPath = "/v1/rules";

    /// <summary>Why <paramref name="request"/> is refused (HTTP 403), or null when this policy lets it through.</summary>
    public static string? Refusal(AgentOptions options, HttpRequest request) =>
        options.RulesAdapter == "kubernetes" && IsRuleWrite(request)
            ? "rules are managed by Kubernetes on this node (--rules-adapter kubernetes): create or change RoutingRule " +
              "objects (routingrules.amalgam8.io) with kubectl instead"
            : null;

    private static bool IsRuleWrite(HttpRequest request) =>
        !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)
        && request.Path.StartsWithSegments(RulesPath, StringComparison.OrdinalIgnoreCase);
}
