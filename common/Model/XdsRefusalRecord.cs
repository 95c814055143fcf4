namespace AppSwitch.Common.Model;

/// <summary>A resource the agent did not apply.</summary>
public sealed record XdsRefusalRecord(string Type, string Name, string Reason);
