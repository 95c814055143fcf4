using AppSwitch.Common.Model;
using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Replication;

internal sealed record PublishedState
{
    public int V { get; init; } = NodeStateCodec.Version;
    public List<PublishedApp>? Apps { get; init; }
    public List<PublishedServer>? Servers { get; init; }
    public List<VServiceSpec>? VServices { get; init; }
    /// <summary>Amalgam8 rules created on the node; absent when none and in publications of older agents.</summary>
    public List<Rule>? Rules { get; init; }
}
