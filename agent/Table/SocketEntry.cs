using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>A node socket the agent swapped into an application, keyed by its inode.</summary>
public sealed class SocketEntry
{
    public Guid Id { get; } = Guid.NewGuid();
    public required AppEntry App { get; init; }
    public required ulong Inode { get; init; }
    public required Transport Transport { get; init; }
    /// <summary>The family the application's socket has (AF_INET or AF_INET6), for writing addresses back.</summary>
    public required System.Net.Sockets.AddressFamily Family { get; init; }
    /// <summary>The local address the application believes it has (what it bound, or its virtual IP).</summary>
    public required IPEndPoint VirtualLocal { get; set; }
    /// <summary>Where clients reach it: the virtual IP (or the node address for apps without one) and the virtual port.</summary>
    public required IPEndPoint Service { get; init; }
    /// <summary>The real local address on the node.</summary>
    public required IPEndPoint NodeLocal { get; set; }
    /// <summary>For connected sockets: the virtual address the application connected to.</summary>
    public IPEndPoint? VirtualPeer { get; set; }
    public SocketState State { get; set; }
    public int Backlog { get; set; }
}
