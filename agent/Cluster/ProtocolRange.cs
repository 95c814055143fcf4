namespace AppSwitch.Agent.Cluster;

/// <summary>
/// The gossip protocol versions a node speaks: the oldest and newest it understands, and the one it prefers. Two
/// members talk in min(current, current) when that lies in both ranges (memberlist's PMin/PMax/PCur).
/// </summary>
public readonly record struct ProtocolRange(byte Min, byte Max, byte Current)
{
    public bool IsValid => Min >= 1 && Min <= Current && Current <= Max;

    public override string ToString() => $"{Min}..{Max} (current {Current})";
}
