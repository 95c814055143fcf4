namespace AppSwitch.Common.Model;

/// <summary>A listening (TCP) or bound (UDP) socket published in the service table.</summary>
public sealed record ServerRecord
{
    public required string NodeId { get; init; }
    public required string Cluster { get; init; }
    public required string AppId { get; init; }
    /// <summary>"tcp" or "udp".</summary>
    public required string Proto { get; init; }
    /// <summary>Virtual ip:port clients use.</summary>
    public required string ServiceAddr { get; init; }
    /// <summary>Node ip:port the socket is really bound to.</summary>
    public required string Ipv4Addr { get; init; }
    public ulong Inode { get; init; }
}
