using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Xds;

/// <summary>The accepted view and the rules its route configurations translate to (immutable, replaced whole).</summary>
public sealed record XdsConfig(XdsRegistryView View, IReadOnlyList<Rule> Rules)
{
    public static readonly XdsConfig Empty = new(XdsRegistryView.Empty, []);
}
