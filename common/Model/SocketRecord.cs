namespace AppSwitch.Common.Model;

/// <summary>A socket the agent swapped into an application (bound, listening or connected).</summary>
public sealed record SocketRecord
{
    public required string Id { get; init; }
    public required string NodeId { get; init; }
    public required string AppId { get; init; }
    public ulong Inode { get; init; }
    public required string Proto { get; init; }
    public int Flags { get; init; }
    /// <summary>The address the application asked for (virtual), e.g. 0.0.0.0:80.</summary>
    public required string BindIp { get; init; }
    /// <summary>The node address the socket really uses.</summary>
    public string NodeAddr { get; init; } = "";
    /// <summary>"bound", "listening" or "connected".</summary>
    public string State { get; init; } = "";
    /// <summary>For connected sockets: the virtual address the application connected to.</summary>
    public string PeerAddr { get; init; } = "";
    public int Backlog { get; init; }
}
