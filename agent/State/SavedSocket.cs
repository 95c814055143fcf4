using System.Text.Json.Serialization;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.State;

public sealed record SavedSocket
{
    public required string AppId { get; init; }
    public ulong Inode { get; init; }
    public required string Transport { get; init; }
    public bool Ipv6 { get; init; }
    public required string VirtualLocal { get; init; }
    public required string Service { get; init; }
    public required string NodeLocal { get; init; }
    public required string State { get; init; }
    public int Backlog { get; init; }
}
