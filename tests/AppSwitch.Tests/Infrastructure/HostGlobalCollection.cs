using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Integration tests that use something every test on the machine shares (the host's /etc/resolv.conf, the
/// `nobody` user): they run one at a time, after the parallel collections (xunit runs collections with
/// DisableParallelization last). Every other integration class has its own namespaces, temp, socket, admin dirs
/// and cgroups (all named after a random TestNetwork id) and runs in parallel, in its own per-class collection.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostGlobalCollection : ICollectionFixture<IntegrationRun>
{
    public const string Name = "Host-global (serialized)";
}

/// <summary>
/// Classes not yet audited for shared resources (e.g. new ones from a parallel branch) run serialized with the
/// host-global ones; drop the attribute once the class is known to touch only what its TestNetwork made.
/// </summary>
public static class IntegrationCollection
{
    public const string Name = HostGlobalCollection.Name;
}

/// <summary>The serialized collection's fixture: it too waits for the once-per-run leftover cleanup.</summary>
public sealed class IntegrationRun
{
    public IntegrationRun() => TestNetwork.RemoveLeftoversOnce();
}
