namespace AppSwitch.Agent.Kubernetes.Connection;

/// <summary>The Kubernetes connection settings are missing or wrong; the message says which and where.</summary>
public sealed class KubeConnectionException(string message, Exception? inner = null) : Exception(message, inner);
