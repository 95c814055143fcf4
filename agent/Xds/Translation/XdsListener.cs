namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// An accepted listener: the RDS route configurations its HTTP connection managers take (what the client subscribes
/// to), and the outbound policy its catch-all filter chain says, if it has one.
/// </summary>
public sealed record XdsListener(string Name, IReadOnlyList<string> RouteConfigs, XdsEgressSignal? Egress);
