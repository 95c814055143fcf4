namespace AppSwitch.Agent.Kubernetes.Client;

public enum KubeWatchEventType { Added, Modified, Deleted, Bookmark }

/// <summary>A decoded watch event. A bookmark has no object, only the version to resume from.</summary>
public sealed record KubeWatchEvent<T>(KubeWatchEventType Type, T? Object, string? ResourceVersion);
