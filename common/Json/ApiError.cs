namespace AppSwitch.Common.Json;

/// <summary>The body of every non-2xx REST answer.</summary>
public sealed record ApiError(string Error);
