namespace AppSwitch.Common.Model;

/// <summary>One type's sub-stream: the version ACKed last (the config in force), the last nonce, the resources held and NACKs sent.</summary>
public sealed record XdsTypeRecord(string Type, string? AckedVersion, string? LastNonce, int Resources, int Nacks);
