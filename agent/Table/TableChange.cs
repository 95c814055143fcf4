using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Table;

/// <summary>One change of the table (the entry it concerns, when it is one of this node's own).</summary>
public readonly record struct TableChange(TableChangeKind Kind, AppEntry? App = null, SocketEntry? Socket = null, string? AppId = null, ulong Inode = 0,
    VServiceEntry? VService = null, string? VServiceName = null, IReadOnlyList<Rule>? Rules = null, IReadOnlyList<string>? RuleIds = null)
{
    public static readonly TableChange Derived = new(TableChangeKind.Derived);

    /// <summary>This node's rules created or replaced (<paramref name="rules"/>, the batch alone).</summary>
    public static TableChange RulesPut(IReadOnlyList<Rule> rules) => new(TableChangeKind.RulesPut, Rules: rules);

    /// <summary>This node's rules deleted by id.</summary>
    public static TableChange RulesRemoved(IReadOnlyList<string> ids) => new(TableChangeKind.RulesRemoved, RuleIds: ids);
}
