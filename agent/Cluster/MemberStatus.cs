namespace AppSwitch.Agent.Cluster;

/// <summary>A member's state in the SWIM sense (DESIGN §5: alive/suspect/dead), plus a graceful departure.</summary>
public enum MemberStatus : byte
{
    Alive = 1,
    Suspect = 2,
    Dead = 3,
    Left = 4,
}
