namespace AppSwitch.Agent.Kubernetes.Informers;

public sealed record InformerOptions
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long the server keeps one watch open (timeoutSeconds); kubectl uses 5-10 minutes.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// A watch still open this long after its timeout is taken as dead (the server vanished without a FIN)
    /// and opened again.
    /// </summary>
    public TimeSpan WatchGrace { get; init; } = TimeSpan.FromSeconds(30);
}
