using System.Net;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// A snapshot of one member: its gossip address, SWIM state and incarnation, and the application state it owns
/// (an opaque blob with its version; empty with version 0 when the member set none, or when it is dead or left).
/// </summary>
public sealed record MemberInfo(
    string Name,
    IPEndPoint Address,
    MemberStatus Status,
    ulong Incarnation,
    ulong StateVersion,
    ReadOnlyMemory<byte> State,
    bool IsLocal)
{
    public override string ToString() =>
        $"{Name}@{Address} {Status} inc={Incarnation} state=v{StateVersion}/{State.Length}B{(IsLocal ? " (local)" : "")}";
}
