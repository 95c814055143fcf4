using System.Net;

namespace AppSwitch.Agent.Launcher;

/// <summary>What `ax run` asked for, parsed by the agent from the launcher's argv.</summary>
public sealed record RunPlan
{
    /// <summary>Index into the launcher's argv (the arguments after `run`) where the command starts.</summary>
    public required int CommandIndex { get; init; }
    public IPAddress? Ip { get; init; }
    public string Name { get; init; } = "";
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string> { ["zone"] = "default" };
    /// <summary>`--protocol`: the endpoint type of the app's service instances.</summary>
    public string Protocol { get; init; } = AppProtocol.Default;
    public string User { get; init; } = "";
    public bool NewNetns { get; init; } = true;
    public string Interface { get; init; } = "";
    /// <summary>Point the app's resolv.conf at the agent's DNS (new netns only; --dns-override).</summary>
    public bool DnsOverride { get; init; } = true;
    /// <summary>`--trap-sendmsg`: the launcher's filter hands sendmsg and sendmmsg to the agent too.</summary>
    public bool TrapSendmsg { get; init; }
    public IReadOnlyList<ExposeMapping> Expose { get; init; } = [];
    /// <summary>`--kubernetes-pod-name` or POD_NAME / KUBERNETES_POD_NAME: the pod whose identity the app has.</summary>
    public string? KubernetesPod { get; init; }
}
