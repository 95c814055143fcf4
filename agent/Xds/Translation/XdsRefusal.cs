namespace AppSwitch.Agent.Xds.Translation;

/// <summary>A resource the agent did not apply, and why (reported by `ax get xds` and sent in the NACK).</summary>
public sealed record XdsRefusal(string TypeUrl, string Name, string Reason)
{
    public override string ToString() => $"{Name}: {Reason}";
}
