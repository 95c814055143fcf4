namespace AppSwitch.Agent.Xds.Client;

/// <summary>The ServiceAccount token could not be read: no stream is opened without it (istiod would refuse it).</summary>
public sealed class XdsTokenException(string message) : Exception(message);
