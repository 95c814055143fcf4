namespace AppSwitch.Agent.Kubernetes.Config;

/// <summary>The Kubernetes connection settings are missing or wrong; the message says which and where.</summary>
public sealed class KubeConfigException(string message, Exception? inner = null) : Exception(message, inner);
