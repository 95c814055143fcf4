namespace AppSwitch.Agent.Cluster;

/// <summary>The peer's frame was refused (wrong key or cluster); already counted and logged.</summary>
internal sealed class StreamRejectedException(string message) : Exception(message);
