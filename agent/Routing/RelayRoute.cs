namespace AppSwitch.Agent.Routing;

/// <summary>Where a relay sends its connections; the actual endpoint is looked up in the table at accept time.</summary>
public abstract record RelayRoute
{
    /// <summary>A short stable id for `ax get proxies`.</summary>
    public abstract string Id { get; }
}
