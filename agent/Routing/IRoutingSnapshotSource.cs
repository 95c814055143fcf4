namespace AppSwitch.Agent.Routing;

/// <summary>The routing snapshot in force: one read gives a consistent picture for a whole decision (or an HTTP request).</summary>
internal interface IRoutingSnapshotSource
{
    RoutingSnapshot Current { get; }
}
