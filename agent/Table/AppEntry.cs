using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>An application started by `ax run` (on this node, or a replica of another node's).</summary>
public sealed class AppEntry
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    /// <summary>The virtual IP from `--ip`; null when none was given.</summary>
    public IPAddress? VirtualIp { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Endpoint type of its servers as service instances (`ax run --protocol`): tcp, udp, http or https.</summary>
    public string Protocol { get; init; } = Launcher.AppProtocol.Default;
    /// <summary>The pod this app runs as (`ax run --kubernetes-pod-name`, POD_NAME): its identity for route rules.</summary>
    public string? KubernetesPod { get; init; }
    /// <summary>The pod's UID when the agent derived the pod from the launcher's cgroup (Kubernetes mode); null otherwise.</summary>
    public string? KubernetesPodUid { get; init; }
    public int Pid { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];
    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// The fd number at which the launcher left a copy of the seccomp listener inside the application
    /// (-1: none), so that a restarted agent can take the listener back with pidfd_getfd.
    /// </summary>
    public int ReclaimFd { get; init; } = -1;

    /// <summary>Like <see cref="ReclaimFd"/>, for the copies of the app's DNS sockets (UDP, TCP); -1: none.</summary>
    public (int Udp, int Tcp) DnsReclaimFds { get; init; } = (-1, -1);

    /// <summary>
    /// The pid of the app's keeper (native-shims/keeper.c), which holds the same copies at the same fd numbers
    /// outside the app, checked to hold the listener when the app started; 0: none.
    /// </summary>
    public int KeeperPid { get; init; }

    /// <summary>The keeper's start time (clock ticks since boot), so that a reused pid is never taken for it.</summary>
    public ulong KeeperStarted { get; init; }

    /// <summary>The node that runs the app when it is a replica of another node's entry; null for this node's apps.</summary>
    public RemoteNodeRef? RemoteNode { get; init; }

    /// <summary>A replica's egress policy as its node published it (this node's apps follow <see cref="ServiceTable.Egress"/>).</summary>
    public string? RemoteEgress { get; init; }

    /// <summary>App ports exposed at node ports for clients outside AppSwitch (`--expose`).</summary>
    public IReadOnlyList<Launcher.ExposeMapping> Expose { get; init; } = [];

    /// <summary>Processes of the app seen making trapped calls (a daemonizing app's launcher pid exits).</summary>
    public HashSet<int> KnownPids { get; } = [];
}
