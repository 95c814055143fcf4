using System.Text.Json.Serialization;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.State;

/// <summary>One line of &lt;admin-dir&gt;/state.wal: a change of this node's entries, recorded before it was answered.</summary>
public sealed record SavedChange
{
    // "vservices" and "rules" (the whole list) are what agents before the per-change records wrote: still replayed.
    public const string App = "app", AppRemoved = "app-removed", Socket = "socket", SocketRemoved = "socket-removed",
        VService = "vservice", VServiceRemoved = "vservice-removed", VServices = "vservices",
        RulesPut = "rules-put", RulesRemoved = "rules-removed", Rules = "rules";

    public required string Op { get; init; }
    public SavedApp? SavedApp { get; init; }
    public string? AppId { get; init; }
    public SavedSocket? SavedSocket { get; init; }
    public ulong Inode { get; init; }
    public VServiceSpec? SavedVService { get; init; }
    public string? VServiceName { get; init; }
    public List<VServiceSpec>? SavedVServices { get; init; }
    /// <summary>"rules-put": the rules created or replaced; "rules" (older agents): all of the node's rules.</summary>
    public List<AppSwitch.Common.Rules.Rule>? SavedRules { get; init; }
    public List<string>? RuleIds { get; init; }
}
