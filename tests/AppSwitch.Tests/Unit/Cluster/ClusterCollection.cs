using Xunit;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>Cluster tests measure timing: they run one at a time, after the parallel tests, so they never compete for the CPU.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster (timing-sensitive)";
}
