namespace AppSwitch.Agent.Cluster;

/// <summary>A change of one other member (never the local node), with the member as it is after the change.</summary>
public sealed record MemberEvent(MemberEventKind Kind, MemberInfo Member)
{
    public override string ToString() => $"{Kind} {Member}";
}
