using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Rules;

/// <summary>A rule and the node that created it (the only node where it can be changed).</summary>
public sealed record OwnedRule(string Node, Rule Rule);
