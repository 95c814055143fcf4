using System.Net;

namespace AppSwitch.Agent.Cluster;

/// <summary>What a node keeps about one member (itself included); guarded by <see cref="Membership"/>'s lock.</summary>
internal sealed class MemberState(string name, IPEndPoint address)
{
    public string Name { get; } = name;
    public IPEndPoint Address { get; set; } = address;
    public ulong Incarnation { get; set; }
    public MemberStatus Status { get; set; }
    public long StatusSinceMs { get; set; }
    public Suspicion? Suspicion { get; set; }

    /// <summary>Newest state version heard of (gossip notice, alive message, digest).</summary>
    public ulong KnownVersion { get; set; }
    /// <summary>Version of <see cref="State"/> (0: none held).</summary>
    public ulong HeldVersion { get; set; }
    /// <summary>Never mutated once set, so snapshots can share it.</summary>
    public byte[] State { get; set; } = [];

    /// <summary>The member's protocol range, once a push/pull told it (null: unknown, treated as protocol 1).</summary>
    public ProtocolRange? Protocol { get; set; }

    public bool FetchInFlight { get; set; }
    public int FetchAttempts { get; set; }
    public long NextFetchMs { get; set; }

    public bool IsLive => Status is MemberStatus.Alive or MemberStatus.Suspect;

    public MemberInfo ToInfo(bool isLocal) => new(Name, Address, Status, Incarnation, HeldVersion, State, isLocal);
}
