namespace AppSwitch.Common.Model;

/// <summary>A relay of this node as the REST API and `ax get proxies` show it.</summary>
public sealed record ProxyRecord
{
    /// <summary>expose-APPID-PORT or vservice-NAME-VPORT.</summary>
    public required string Id { get; init; }
    public required string Proto { get; init; }
    /// <summary>The node ip:port the relay listens on.</summary>
    public required string Listener { get; init; }
    /// <summary>Where connections go now (the server's node ip:port, or a vservice's backends) and why.</summary>
    public required string Dialers { get; init; }
    /// <summary>"listening" or "failed: REASON" (e.g. the port is taken; retried every 2 s).</summary>
    public required string State { get; init; }
    public required string NodeId { get; init; }
    public long Connections { get; init; }
    public long Active { get; init; }
    /// <summary>Connections closed at once: nobody served the route or dialing failed.</summary>
    public long Refused { get; init; }
    /// <summary>Bytes from clients to the target.</summary>
    public long BytesIn { get; init; }
    /// <summary>Bytes from the target back to clients.</summary>
    public long BytesOut { get; init; }
    /// <summary>The HTTP relay's failures since start: count per cause (client-stalled, upstream-unreachable …) and per
    /// failing upstream instance (upstream@IP:PORT); null for TCP relays.</summary>
    public Dictionary<string, long>? Failures { get; init; }
}
