namespace AppSwitch.Agent.Xds.Translation;

/// <summary>One hostname endpoint of a DNS cluster.</summary>
public sealed record XdsDnsTarget(string Host, int Port, int Weight, int Priority);
