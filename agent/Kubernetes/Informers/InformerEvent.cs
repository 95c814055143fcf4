namespace AppSwitch.Agent.Kubernetes.Informers;

/// <summary>A change to the informer's cache (from the watch, or from a relist's difference to the cache).</summary>
public sealed record InformerEvent<T>(InformerEventType Type, T Object);
