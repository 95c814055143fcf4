using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>A published server: virtual ip:port → node ip:port.</summary>
public sealed class ServerEntry
{
    public required AppEntry App { get; init; }
    public required Transport Transport { get; init; }
    public required IPEndPoint Virtual { get; init; }
    public required IPEndPoint Node { get; init; }
    public required ulong Inode { get; init; }
}
