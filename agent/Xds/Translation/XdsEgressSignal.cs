namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// One place in istiod's output that says the outbound traffic policy, and which (e.g. "listener virtualOutbound:
/// catch-all chain → BlackHoleCluster"). <see cref="Explicit"/>: a catch-all filter chain or virtual host, which
/// says the policy outright; otherwise a special cluster's mere presence, which only hints at it.
/// </summary>
public sealed record XdsEgressSignal(XdsEgressMode Mode, string Source, bool Explicit);
