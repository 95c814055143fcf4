namespace AppSwitch.Agent.Replication;

internal sealed record PublishedServer
{
    public string? AppId { get; init; }
    public string? Proto { get; init; }
    public string? Virtual { get; init; }
    public string? Node { get; init; }
    public ulong Inode { get; init; }
}
