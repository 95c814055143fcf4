using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Rules;

/// <summary>
/// One change of this node's own rules, as the write-ahead log records it: the rules created or replaced
/// (<see cref="Put"/>) and the ids deleted (<see cref="Removed"/>) — the batch alone, not the whole list.
/// </summary>
public readonly record struct OwnRuleChange(IReadOnlyList<Rule> Put, IReadOnlyList<string> Removed)
{
    public static OwnRuleChange Of(IReadOnlyList<Rule> put) => new(put, []);
    public static OwnRuleChange Deleted(IReadOnlyList<string> ids) => new([], ids);
}
