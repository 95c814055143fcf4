using System.Net;
using AppSwitch.Agent.Kubernetes.Connection;

namespace AppSwitch.Agent.Configuration;

/// <summary>The daemon's settings after parsing `ax daemon` flags and their AX_* environment forms.</summary>
public sealed record AgentOptions
{
    public required string NodeName { get; init; }
    public string Cluster { get; init; } = "appswitch";
    /// <summary>The address node sockets bind to and peers use (from --node-interface).</summary>
    public required IPAddress NodeAddress { get; init; }
    public required PortRanges Ports { get; init; }
    /// <summary>TCP port of the REST API (on the node address); 0 disables the TCP listener.</summary>
    public int RestPort { get; init; } = 6664;
    /// <summary>File holding the bearer token the REST port requires (--api-token-file); null: the port serves health only.</summary>
    public string? ApiTokenFile { get; init; }
    /// <summary>PEM certificate and key of HTTPS on the REST port (--api-cert, --api-key); null: plain HTTP.</summary>
    public string? ApiCertFile { get; init; }
    public string? ApiKeyFile { get; init; }
    /// <summary>PEM CA whose client certificates may use the REST port without a token (--api-client-ca; needs HTTPS).</summary>
    public string? ApiClientCaFile { get; init; }
    public bool Clean { get; init; }
    public string Driver { get; init; } = "user";
    public required string SocketDir { get; init; }
    /// <summary>Directory of api.sock, state.json and the in-flight journal (--admin-socket-dir); pods do not mount it.</summary>
    public string AdminSocketDir { get; init; } = AppSwitch.Common.Paths.AdminSocketDirectory.Default;
    /// <summary>Group id that may use the sockets besides root (--socket-group); null: the agent's own group.</summary>
    public int? SocketGroup { get; init; }
    /// <summary>Cluster neighbors to join: addresses or host names, optionally with :port.</summary>
    public IReadOnlyList<string> Neighbors { get; init; } = [];
    /// <summary>UDP+TCP gossip port; 0 keeps the node out of any cluster.</summary>
    public int GossipPort { get; init; } = 7946;
    /// <summary>AES-GCM key for gossip (32 bytes), or null for clear-text gossip.</summary>
    public byte[]? GossipKey { get; init; }
    public bool GossipAutoDiscover { get; init; }
    /// <summary>none or kubernetes (--discovery-adapter); parsed, not yet acted on.</summary>
    public string DiscoveryAdapter { get; init; } = "none";
    /// <summary>none or kubernetes (--rules-adapter); with kubernetes, rules come from the RoutingRule CRD and REST rule writes are refused.</summary>
    public string RulesAdapter { get; init; } = "none";
    /// <summary>--kubeconfig, --kubernetes-url/-token/-namespace (see Kubernetes/Connection/KubeConnectionResolver).</summary>
    public KubeSettings Kubernetes { get; init; } = new();
    /// <summary>--replication, --replication-lease: gossip, the API server (one AppSwitchNode object per node), or both.</summary>
    public Kubernetes.Replication.ReplicationSettings Replication { get; init; } = new();

    /// <summary>--xds-address and friends (issue 17): the xDS client's server and identity.</summary>
    public Xds.XdsSettings Xds { get; init; } = new();
    public string? KubernetesPodName { get; init; }
    /// <summary>Serve DNS to new-netns apps (--dns).</summary>
    public bool Dns { get; init; } = true;
    /// <summary>The domain of app and vservice names (--dns-domain), lowercase, without dots at the ends.</summary>
    public string DnsDomain { get; init; } = "appswitch.local";
    /// <summary>Where other names are forwarded (--dns-servers); empty: the node's /etc/resolv.conf nameservers.</summary>
    public IReadOnlyList<IPEndPoint> DnsServers { get; init; } = [];
    /// <summary>The block named apps without --ip get their virtual IP from (--ip-pool).</summary>
    public Table.VirtualIpPool IpPool { get; init; } = Table.VirtualIpPool.Parse(Table.VirtualIpPool.Default);
    /// <summary>Attach the socket lock's BPF programs to the agent's own cgroup (--socket-lock).</summary>
    public bool SocketLock { get; init; } = true;
    /// <summary>Name of the agent's cgroup v2 child (--socket-lock-cgroup).</summary>
    public string SocketLockCgroup { get; init; } = "appswitch-agent";
    /// <summary>Servers see a client app's virtual IP, not its node's address (--preserve-client-ip; BPF on the agent's cgroup).</summary>
    public bool PreserveClientIp { get; init; } = true;
    /// <summary>What apps may reach outside AppSwitch (--egress, --egress-allow); default: everything.</summary>
    public Routing.EgressPolicy Egress { get; init; } = Routing.EgressPolicy.AllowAll;
    /// <summary>How long a connection through the HTTP relay may make no progress either way (--http-relay-idle-timeout); zero: no limit.</summary>
    public TimeSpan HttpRelayIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// How long a launcher may take to send each frame of its handshake and a REST client its request head, and how long
    /// a REST connection may sit idle (--handshake-timeout): half-open clients are closed after it.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long an app may make no trapped call before its session gives back its thread and waits on the shared
    /// parking thread (--session-park-delay): ~150 KiB of agent memory per idle app; its next call starts a thread (~0.1 ms).
    /// </summary>
    public TimeSpan SessionParkDelay { get; init; } = TimeSpan.FromSeconds(5);
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;
}
