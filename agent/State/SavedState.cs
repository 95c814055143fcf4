using System.Text.Json.Serialization;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.State;

/// <summary>What the agent keeps in &lt;socket-dir&gt;/state.json so that a restarted agent can take its apps back.</summary>
public sealed record SavedState
{
    public const int CurrentVersion = 1;
    public int Version { get; init; } = CurrentVersion;
    public List<SavedApp> Apps { get; init; } = [];
    public List<SavedSocket> Sockets { get; init; } = [];
    /// <summary>This node's vservices; null in files of older agents (the source-generated reader leaves absent init-only lists null).</summary>
    public List<VServiceSpec>? VServices { get; set; }
    /// <summary>Amalgam8 rules created on this node; null in files of older agents.</summary>
    public List<AppSwitch.Common.Rules.Rule>? Rules { get; set; }
}

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
    public List<string> Command { get; init; } = [];
    public DateTimeOffset Started { get; init; }
    /// <summary>`--expose` mappings as the user wrote them (absent in files of older agents).</summary>
    public List<string> Expose { get; init; } = [];
    /// <summary>The pod the app runs as (`--kubernetes-pod-name`, POD_NAME); absent when none, and in older files.</summary>
    public string? KubernetesPod { get; init; }
    /// <summary>The pod's UID when the agent derived it from the launcher's cgroup; absent otherwise, and in older files.</summary>
    public string? KubernetesPodUid { get; init; }
}

public sealed record SavedSocket
{
    public required string AppId { get; init; }
    public ulong Inode { get; init; }
    public required string Transport { get; init; }
    public bool Ipv6 { get; init; }
    public required string VirtualLocal { get; init; }
    public required string Service { get; init; }
    public required string NodeLocal { get; init; }
    public required string State { get; init; }
    public int Backlog { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SavedState))]
public sealed partial class SavedStateJsonContext : JsonSerializerContext;
