using System.Text.Json.Serialization;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.State;

/// <summary>What the agent keeps in &lt;socket-dir&gt;/state.json so that a restarted agent can take its apps back.</summary>
public sealed record SavedState
{
    public const int CurrentVersion = 1;
    public int Version { get; init; } = CurrentVersion;
    public List<SavedApp> Apps { get; init; } = [];
    public List<SavedSocket> Sockets { get; init; } = [];
    /// <summary>This node's vservices; null in files of older agents (the source-generated reader leaves absent init-only lists null).</summary>
    public List<VServiceSpec>? VServices { get; set; }
    /// <summary>Amalgam8 rules created on this node; null in files of older agents.</summary>
    public List<AppSwitch.Common.Rules.Rule>? Rules { get; set; }
}
