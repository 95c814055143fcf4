namespace AppSwitch.Agent.Cluster;

/// <summary>A key change made on this node: the new keyring, the live members it was meant for (this node included)
/// and those that did not report holding it before the wait ended.</summary>
public sealed record KeyChangeOutcome(KeyringState State, int Members, IReadOnlyList<string> Missing)
{
    public int Acknowledged => Members - Missing.Count;
}
