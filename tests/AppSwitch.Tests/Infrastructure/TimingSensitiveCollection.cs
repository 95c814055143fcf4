using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Integration tests that assert a gossip timing no test may disturb: KeyRotationTests checks that no member is even
/// suspected during a rotation (a probe answered late under CPU starvation is a suspicion). Like the gossip unit tests'
/// ClusterCollection they run after the parallel collections, one at a time, with no other test of the run beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "Timing-sensitive integration (serialized)";
}
