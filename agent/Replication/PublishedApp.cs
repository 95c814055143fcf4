namespace AppSwitch.Agent.Replication;

internal sealed record PublishedApp
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Ip { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public int Pid { get; init; }
    /// <summary>Absent for tcp (the default) and in publications of older agents.</summary>
    public string? Protocol { get; init; }
    public List<string>? Command { get; init; }
    public DateTimeOffset Started { get; init; }
    /// <summary>`--expose` mappings as written (added later: absent in older publications).</summary>
    public List<string>? Expose { get; init; }
    /// <summary>The node's egress policy as `ax get apps` shows it (added later: absent in older publications).</summary>
    public string? Egress { get; init; }
}
