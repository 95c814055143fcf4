using System.Text.Json.Serialization;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.State;

public sealed record SavedApp
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public string? Ip { get; init; }
    public Dictionary<string, string> Labels { get; init; } = [];
    public int Pid { get; init; }
    /// <summary>`--protocol`; null in files of older agents (tcp).</summary>
    public string? Protocol { get; init; }
    public List<int> KnownPids { get; init; } = [];
    public int ReclaimFd { get; init; } = -1;
    /// <summary>Fd numbers of the DNS socket copies in the app, UDP then TCP (absent in files of older agents).</summary>
    public List<int>? DnsReclaimFds { get; init; }
    /// <summary>The keeper's pid and start time (absent when none, and in files of older agents).</summary>
    public int? KeeperPid { get; init; }
    public ulong? KeeperStarted { get; init; }
    public List<string> Command { get; init; } = [];
    public DateTimeOffset Started { get; init; }
    /// <summary>`--expose` mappings as the user wrote them (absent in files of older agents).</summary>
    public List<string> Expose { get; init; } = [];
    /// <summary>The pod the app runs as (`--kubernetes-pod-name`, POD_NAME); absent when none, and in older files.</summary>
    public string? KubernetesPod { get; init; }
    /// <summary>The pod's UID when the agent derived it from the launcher's cgroup; absent otherwise, and in older files.</summary>
    public string? KubernetesPodUid { get; init; }
}
