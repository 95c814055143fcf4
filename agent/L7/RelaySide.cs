namespace AppSwitch.Agent.L7;

/// <summary>The side of a relayed exchange that failed: the app that sent the request, or the instance that serves it.</summary>
internal enum RelaySide { Client, Upstream }
