namespace AppSwitch.Agent.Cluster;

/// <summary>The only exception the decoders throw: the bytes are not a well-formed message.</summary>
public sealed class GossipDecodeException(string message) : Exception(message);
