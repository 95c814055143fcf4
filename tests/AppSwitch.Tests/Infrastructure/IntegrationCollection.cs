using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Every integration test belongs to this collection: they need root and network namespaces and
/// run one at a time, never beside another collection.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IntegrationCollection : ICollectionFixture<IntegrationRun>
{
    public const string Name = "Integration";
}

/// <summary>Once per test run: clear what crashed runs left behind.</summary>
public sealed class IntegrationRun
{
    public IntegrationRun() => TestNetwork.RemoveLeftovers();
}
