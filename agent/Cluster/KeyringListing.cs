namespace AppSwitch.Agent.Cluster;

/// <summary>The keys live members reported, with <see cref="Members"/> the live members counted (this node included).</summary>
public sealed record KeyringListing(int Members, IReadOnlyList<KeyHolders> Keys);
