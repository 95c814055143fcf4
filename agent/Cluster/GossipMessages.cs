using System.Net;

namespace AppSwitch.Agent.Cluster;

/// <summary>Message type, the first byte of every message (after the envelope).</summary>
internal enum MessageType : byte
{
    Ping = 1,
    IndirectPing = 2,
    Ack = 3,
    Alive = 4,
    Suspect = 5,
    Dead = 6,
    StateNotice = 7,
    Compound = 8,
    PushPull = 9,
    StateRequest = 10,
    StateResponse = 11,
    KeyringNotice = 12,
    Nack = 13,
}

internal static class MessageTypes
{
    /// <summary>The newest type this build knows. Types are append-only: a higher one comes from a newer peer and is
    /// skipped as an <see cref="UnknownMessage"/>; 0 is never a type.</summary>
    public const MessageType Newest = MessageType.Nack;
}

internal abstract record GossipMessage
{
    public abstract MessageType Type { get; }
}

/// <summary>Direct probe. <see cref="Target"/> guards against answering for another node now at that address.</summary>
internal sealed record Ping(ulong Seq, string Target, string Source) : GossipMessage
{
    public override MessageType Type => MessageType.Ping;
}

/// <summary>Please ping <see cref="Target"/> for me and forward its ack with my <see cref="Seq"/>; with
/// <see cref="WantsNack"/> (protocol 2, an appended field) also tell me when it did not answer in time.</summary>
internal sealed record IndirectPing(ulong Seq, string Target, IPEndPoint TargetAddress, string Source, bool WantsNack = false) : GossipMessage
{
    public override MessageType Type => MessageType.IndirectPing;
}

internal sealed record Ack(ulong Seq) : GossipMessage
{
    public override MessageType Type => MessageType.Ack;
}

/// <summary>Lifeguard: the helper of an indirect probe did not hear from the target in time, so the prober knows its
/// own path works (the target failed, not the prober).</summary>
internal sealed record Nack(ulong Seq) : GossipMessage
{
    public override MessageType Type => MessageType.Nack;
}

/// <summary>A message of a type newer than this node (see <see cref="MessageTypes.Newest"/>): counted and skipped.</summary>
internal sealed record UnknownMessage(byte Code, byte[] Body) : GossipMessage
{
    public override MessageType Type => (MessageType)Code;
}

/// <summary>The member is alive at this incarnation and address; <see cref="StateVersion"/> is its latest state version.</summary>
internal sealed record Alive(string Node, IPEndPoint Address, ulong Incarnation, ulong StateVersion) : GossipMessage
{
    public override MessageType Type => MessageType.Alive;
}

internal sealed record Suspect(string Node, ulong Incarnation, string From) : GossipMessage
{
    public override MessageType Type => MessageType.Suspect;
}

/// <summary>Declared dead by <see cref="From"/>; a member declaring itself dead has left.</summary>
internal sealed record Dead(string Node, ulong Incarnation, string From) : GossipMessage
{
    public override MessageType Type => MessageType.Dead;
    public bool IsLeave => Node == From;
}

/// <summary>The member's state is now at <see cref="Version"/>; carries the state when it is small.</summary>
internal sealed record StateNotice(string Node, ulong Version, byte[]? State) : GossipMessage
{
    public override MessageType Type => MessageType.StateNotice;
}

/// <summary>Several messages in one datagram (a probe with piggy-backed broadcasts, or a gossip round).</summary>
internal sealed record Compound(IReadOnlyList<GossipMessage> Parts) : GossipMessage
{
    public override MessageType Type => MessageType.Compound;
}

internal enum PushPullPhase : byte
{
    /// <summary>Initiator → peer: the initiator's digest.</summary>
    Request = 1,
    /// <summary>Peer → initiator: the peer's digest and the states the initiator lacks.</summary>
    Reply = 2,
    /// <summary>Initiator → peer: the states the peer lacks.</summary>
    Final = 3,
}

/// <summary>One member as a node sees it: <see cref="KnownVersion"/> is the newest state version heard of,
/// <see cref="HeldVersion"/> the version of the state it holds (0 = none), <see cref="Protocol"/> its protocol range
/// when known (sent from protocol 2 on).</summary>
internal sealed record MemberDigest(string Name, IPEndPoint Address, ulong Incarnation, MemberStatus Status, ulong KnownVersion, ulong HeldVersion,
    ProtocolRange? Protocol = null);

internal sealed record StateBlob(string Name, ulong Version, byte[] State);

/// <summary>Anti-entropy over TCP, three frames on one connection (see <see cref="PushPullPhase"/>).
/// <see cref="Versions"/> is the sender's protocol range (null from a protocol-1 peer).</summary>
internal sealed record PushPull(PushPullPhase Phase, bool Join, string Sender, IReadOnlyList<MemberDigest> Members, IReadOnlyList<StateBlob> States,
    ProtocolRange? Versions = null) : GossipMessage
{
    public override MessageType Type => MessageType.PushPull;
}

/// <summary>TCP: send me <see cref="Node"/>'s state; I know of <see cref="Version"/>.</summary>
internal sealed record StateRequest(string Node, ulong Version) : GossipMessage
{
    public override MessageType Type => MessageType.StateRequest;
}

/// <summary>The state the responder holds for <see cref="Node"/> (<see cref="State"/> null and version 0 when none).</summary>
internal sealed record StateResponse(string Node, ulong Version, byte[]? State) : GossipMessage
{
    public override MessageType Type => MessageType.StateResponse;
}

/// <summary>
/// <see cref="Node"/> holds this keyring (version <see cref="Version"/> made by <see cref="Origin"/>; the key at
/// <see cref="PrimaryIndex"/> is its primary). Gossiped when a node's keyring changes and periodically: members take
/// a newer keyring from it and count who holds which key. Travels only sealed with a key of the cluster.
/// </summary>
internal sealed record KeyringNotice(string Node, ulong Version, string Origin, byte PrimaryIndex, IReadOnlyList<byte[]> Keys) : GossipMessage
{
    public override MessageType Type => MessageType.KeyringNotice;
}
