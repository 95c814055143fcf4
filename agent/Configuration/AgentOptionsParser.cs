using AppSwitch.Agent.Cluster;
using System.Net;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Paths;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Configuration;

/// <summary>
/// Parses `ax daemon` flags (and their AX_* environment forms, and AX_OPTS) into <see cref="AgentOptions"/>.
/// Precedence: flag, then environment, then default. Mistakes throw <see cref="UsageException"/>;
/// `--help` throws <see cref="HelpRequestedException"/> carrying the usage text.
/// </summary>
public sealed class AgentOptionsParser
{
    public const string ExtraOptionsVariable = "AX_OPTS";
    private const string UsageLine = "ax daemon [options]";
    private const string Description =
        "Runs the AppSwitch agent for this node. Extra options may also be given in AX_OPTS.";

    private readonly NodeAddressResolver _addresses;
    private readonly Func<string> _hostName;
    private readonly OptionSet _options;

    public AgentOptionsParser(NodeAddressResolver addresses, Func<string> hostName)
    {
        _addresses = addresses;
        _hostName = hostName;
        _options = new OptionSet
        {
            new("node-interface")
            {
                ValueName = "IP|IFNAME", EnvironmentVariable = "AX_NODE_INTERFACE", Validate = addresses.Explain,
                DefaultDescription = "first interface that is up",
                Help = "address node sockets bind to and peers use, or the interface that has it",
            },
            new("node-name")
            {
                ValueName = "NAME", EnvironmentVariable = "AX_NODE_NAME", Validate = CheckName,
                DefaultDescription = "host name", Help = "node name",
            },
            new("cluster")
            {
                ValueName = "NAME", EnvironmentVariable = "AX_CLUSTER", DefaultValue = "appswitch", Validate = CheckName,
                Help = "cluster name, unique within a federation",
            },
            new("ports")
            {
                ValueName = "RANGES", EnvironmentVariable = "AX_PORTS", DefaultValue = "40000-60000", Validate = CheckPorts,
                Help = "node ports for application sockets, e.g. 40000-60000,7000",
            },
            new("rest-port", OptionKind.Int)
            {
                ValueName = "PORT", EnvironmentVariable = "AX_REST_PORT", DefaultValue = "6664",
                Validate = OptionValues.Port(allowZero: true),
                Help = "TCP port of the REST API on the node address (health only without --api-token-file); 0 turns it off",
            },
            new("api-token-file")
            {
                ValueName = "FILE", EnvironmentVariable = "AX_API_TOKEN_FILE", Validate = Api.Access.ApiTokenFile.Explain,
                Help = "bearer token the REST port requires for everything but /healthz (re-read when the file changes)",
            },
            new("api-cert")
            {
                ValueName = "FILE", EnvironmentVariable = "AX_API_CERT", Validate = CheckReadable,
                Help = "PEM certificate: the REST port speaks HTTPS (with --api-key)",
            },
            new("api-key")
            {
                ValueName = "FILE", EnvironmentVariable = "AX_API_KEY", Validate = CheckReadable, Help = "PEM private key of --api-cert",
            },
            new("api-client-ca")
            {
                ValueName = "FILE", EnvironmentVariable = "AX_API_CLIENT_CA", Validate = CheckReadable,
                Help = "PEM CA: clients with a certificate it signed may use the REST port without a token (needs --api-cert)",
            },
            new("clean", OptionKind.Bool)
            {
                EnvironmentVariable = "AX_CLEAN", Help = "drop state saved by earlier runs instead of restoring it",
            },
            new("driver")
            {
                ValueName = "user|kernel", EnvironmentVariable = "AX_DRIVER", DefaultValue = "user",
                Validate = v => v is "user" or "kernel" ? null : "must be user or kernel",
                Help = "syscall forwarding driver",
            },
            new("socket-dir")
            {
                ValueName = "DIR", EnvironmentVariable = SocketDirectory.EnvironmentVariable,
                DefaultValue = SocketDirectory.Default, Validate = CheckSocketDir,
                Help = "directory of the launcher socket (ax.sock; the directory pods mount)",
            },
            new("admin-socket-dir")
            {
                ValueName = "DIR", EnvironmentVariable = AdminSocketDirectory.EnvironmentVariable,
                DefaultValue = AdminSocketDirectory.Default, Validate = CheckSocketDir,
                Help = "directory of the admin API socket (api.sock) and the agent's state; never mount it into pods",
            },
            new("socket-group")
            {
                ValueName = "NAME|GID", EnvironmentVariable = "AX_SOCKET_GROUP", Validate = SocketGroup.Explain,
                DefaultDescription = "root only", Help = "group that may use the sockets (ax run, ax get) besides root",
            },
            new("neighbors")
            {
                ValueName = "IP[:PORT],...", EnvironmentVariable = "AX_NEIGHBORS", Validate = CheckNeighbors,
                Help = "cluster neighbors to join (this node's own address may be among them)",
            },
            new("gossip-port", OptionKind.Int)
            {
                ValueName = "PORT", EnvironmentVariable = "AX_GOSSIP_PORT", DefaultValue = "7946",
                Validate = OptionValues.Port(allowZero: true), Help = "UDP+TCP port of the cluster gossip; 0: no cluster",
            },
            new("gossip-key")
            {
                ValueName = "BASE64", EnvironmentVariable = "AX_GOSSIP_KEY", Validate = CheckGossipKey,
                Help = "key (base64 of 16, 24 or 32 bytes) encrypting and authenticating gossip (AES-GCM); seeds the keyring `ax keys` changes",
            },
            new("gossip-auto-discover", OptionKind.Bool)
            {
                EnvironmentVariable = "AX_GOSSIP_AUTO_DISCOVER",
                Help = "find the other agents' addresses through the Kubernetes API (needs the kubernetes adapter)",
            },
            new("dns", OptionKind.Bool)
            {
                EnvironmentVariable = "AX_DNS", DefaultValue = "true",
                Help = "answer DNS for apps in their own network namespace (names of apps and vservices)",
            },
            new("dns-domain")
            {
                ValueName = "DOMAIN", EnvironmentVariable = "AX_DNS_DOMAIN", DefaultValue = "appswitch.local", Validate = DnsSettings.ExplainDomain,
                Help = "domain of app and vservice names (web answers as web and web.DOMAIN)",
            },
            new("dns-servers")
            {
                ValueName = "IP[:PORT],...", EnvironmentVariable = "AX_DNS_SERVERS", Validate = DnsSettings.ExplainServers,
                DefaultDescription = "the nameservers of this node's /etc/resolv.conf", Help = "where other names are forwarded",
            },
            new("ip-pool")
            {
                ValueName = "A.B.C.D/N", EnvironmentVariable = "AX_IP_POOL", DefaultValue = Table.VirtualIpPool.Default,
                Validate = v => Table.VirtualIpPool.TryParse(v, out _, out var reason) ? null : reason,
                Help = "virtual IPs for named apps started without --ip",
            },
            new("socket-lock", OptionKind.Bool)
            {
                EnvironmentVariable = "AX_SOCKET_LOCK", DefaultValue = "true",
                Help = "kernel backstop: BPF programs on the agent's cgroup let only the agent connect or bind node sockets",
            },
            new("socket-lock-cgroup")
            {
                ValueName = "NAME", EnvironmentVariable = "AX_SOCKET_LOCK_CGROUP", DefaultValue = "appswitch-agent",
                Validate = CheckCgroupName, Help = "the agent's own cgroup v2 child (kept across restarts)",
            },
            new("preserve-client-ip", OptionKind.Bool)
            {
                EnvironmentVariable = "AX_PRESERVE_CLIENT_IP", DefaultValue = "true",
                Help = "servers under ax see a client app's virtual IP in accept/getpeername (a TCP option on the SYN); false: its node's address",
            },
            new("egress")
            {
                ValueName = "allow|deny", EnvironmentVariable = "AX_EGRESS", DefaultValue = "allow",
                Validate = v => v is "allow" or "deny" ? null : "must be allow or deny",
                Help = "whether apps may connect to addresses outside AppSwitch (not virtual); deny refuses them (ECONNREFUSED)",
            },
            new("egress-allow")
            {
                ValueName = "CIDR[:PORTS],...", EnvironmentVariable = "AX_EGRESS_ALLOW", Validate = CheckEgressAllow,
                Help = "with --egress deny, what apps may still reach, e.g. 10.0.0.0/8:443,192.0.2.7,[2001:db8::/32]:8000-8100",
            },
            new("http-relay-idle-timeout")
            {
                ValueName = "DURATION", EnvironmentVariable = "AX_HTTP_RELAY_IDLE_TIMEOUT", DefaultValue = "60s", Validate = OptionValues.CheckDuration,
                Help = "close a connection through the HTTP relay that moves nothing either way this long (408/504 if no answer began); 0: never",
            },
            new("handshake-timeout")
            {
                ValueName = "DURATION", EnvironmentVariable = "AX_HANDSHAKE_TIMEOUT", DefaultValue = "10s", Validate = CheckPositiveDuration,
                Help = "close a launcher that has not sent a whole frame, or a REST client that has not sent its request head or sat idle, after this long",
            },
            new("session-park-delay")
            {
                ValueName = "DURATION", EnvironmentVariable = "AX_SESSION_PARK_DELAY", DefaultValue = "5s", Validate = CheckPositiveDuration,
                Help = "an app that makes no trapped call this long gives back its session thread until its next call (saves ~150 KiB per idle app)",
            },
            new("log-level")
            {
                ValueName = "LEVEL", EnvironmentVariable = "AX_LOG_LEVEL", DefaultValue = "info",
                Validate = v => ToLogLevel(v) is null ? "must be trace, debug, info, warning or error" : null,
                Help = "trace, debug, info, warning or error",
            },
        };
        foreach (var spec in KubernetesFlags.Specs()) _options.Add(spec);
        foreach (var spec in XdsFlags.Specs()) _options.Add(spec);
    }

    public static AgentOptionsParser ForThisHost() => new(NodeAddressResolver.ForThisHost(), Dns.GetHostName);

    public string Usage => _options.FormatUsage(UsageLine, Description);

    public AgentOptions Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        // AX_OPTS goes first so that the real command line still wins (last flag wins).
        var extra = environment.TryGetValue(ExtraOptionsVariable, out var opts)
            ? opts.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            : [];
        var parsed = _options.Parse(KubernetesFlags.NormalizeAliases([.. extra, .. args]), environment);
        if (parsed.HelpRequested) throw new HelpRequestedException(Usage);
        if (parsed.Positionals.Count > 0)
            throw new UsageException($"unexpected argument \"{parsed.Positionals[0]}\" (ax daemon takes only options)");

        var driver = parsed.GetString("driver")!;
        if (driver == "kernel")
            throw new UsageException("the kernel driver is not available in this build; use --driver user");

        var (cert, certKey, clientCa) = (parsed.GetString("api-cert"), parsed.GetString("api-key"), parsed.GetString("api-client-ca"));
        if ((cert is null) != (certKey is null))
            throw new UsageException("--api-cert and --api-key go together (the REST port's HTTPS certificate and its key)");
        if (clientCa is not null && cert is null)
            throw new UsageException("--api-client-ca needs --api-cert and --api-key (client certificates need HTTPS)");

        var nodeInterface = parsed.GetString("node-interface");
        return new AgentOptions
        {
            NodeName = parsed.GetString("node-name") ?? DefaultNodeName(),
            Cluster = parsed.GetString("cluster")!,
            NodeAddress = nodeInterface is null ? _addresses.Default() : _addresses.Resolve(nodeInterface),
            Ports = PortRanges.Parse(parsed.GetString("ports")!),
            RestPort = parsed.GetInt("rest-port"),
            Clean = parsed.GetBool("clean"),
            Driver = driver,
            SocketDir = parsed.GetString("socket-dir")!,
            AdminSocketDir = parsed.GetString("admin-socket-dir")!,
            ApiTokenFile = parsed.GetString("api-token-file"),
            ApiCertFile = cert,
            ApiKeyFile = certKey,
            ApiClientCaFile = clientCa,
            SocketGroup = parsed.GetString("socket-group") is { } group && SocketGroup.TryResolve(group, out var gid, out _) ? gid : null,
            LogLevel = ToLogLevel(parsed.GetString("log-level")!)!.Value,
            Neighbors = SplitList(parsed.GetString("neighbors")),
            GossipPort = parsed.GetInt("gossip-port"),
            GossipKey = parsed.GetString("gossip-key") is { } key ? GossipOptions.ParseKey(key) : null,
            GossipAutoDiscover = parsed.GetBool("gossip-auto-discover"),
            DiscoveryAdapter = parsed.GetString("discovery-adapter")!,
            RulesAdapter = parsed.GetString("rules-adapter")!,
            Kubernetes = KubernetesFlags.ReadSettings(parsed),
            Replication = KubernetesFlags.ReadReplication(parsed),
            KubernetesPodName = parsed.GetString("kubernetes-pod-name"),
            Xds = XdsFlags.ReadSettings(parsed),
            Dns = parsed.GetBool("dns"),
            DnsDomain = DnsSettings.NormalizeDomain(parsed.GetString("dns-domain")!),
            DnsServers = parsed.GetString("dns-servers") is { } servers ? DnsSettings.ParseServers(servers) : [],
            IpPool = Table.VirtualIpPool.Parse(parsed.GetString("ip-pool")!),
            SocketLock = parsed.GetBool("socket-lock"),
            SocketLockCgroup = parsed.GetString("socket-lock-cgroup")!,
            PreserveClientIp = parsed.GetBool("preserve-client-ip"),
            Egress = ParseEgress(parsed.GetString("egress")!, parsed.GetString("egress-allow")),
            HttpRelayIdleTimeout = OptionValues.ParseDuration(parsed.GetString("http-relay-idle-timeout")!),
            HandshakeTimeout = OptionValues.ParseDuration(parsed.GetString("handshake-timeout")!),
            SessionParkDelay = OptionValues.ParseDuration(parsed.GetString("session-park-delay")!),
        };
    }

    private static string? CheckPositiveDuration(string value) =>
        OptionValues.CheckDuration(value) ?? (OptionValues.ParseDuration(value) > TimeSpan.Zero ? null : "must be longer than zero");

    private static IReadOnlyList<string> SplitList(string? csv) =>
        csv is null ? [] : csv.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static string? CheckNeighbors(string value)
    {
        foreach (var neighbor in SplitList(value))
        {
            var host = neighbor;
            if (IPEndPoint.TryParse(neighbor, out var endPoint) && (endPoint.Port > 0 || !neighbor.Contains(':'))) continue;
            var colon = neighbor.LastIndexOf(':');
            if (colon > 0 && !neighbor.StartsWith('[')) host = neighbor[..colon];
            if (host.Length == 0 || host.Length > 253 || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
                return $"'{neighbor}' is not an address, host name or host:port";
        }
        return null;
    }

    private static string? CheckEgressAllow(string value)
    {
        try
        {
            Routing.EgressPolicy.ParseAllowList(value);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    private static Routing.EgressPolicy ParseEgress(string mode, string? allowList)
    {
        try
        {
            return Routing.EgressPolicy.Parse(mode, allowList);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static string? CheckGossipKey(string value)
    {
        try
        {
            GossipOptions.ParseKey(value);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private string DefaultNodeName()
    {
        var name = _hostName();
        return CheckName(name) is null ? name : "localhost";
    }

    private static LogLevel? ToLogLevel(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => null,
    };

    // Node and cluster names appear in tables and gossip messages: keep them to host-name characters.
    private static string? CheckName(string value) =>
        value.Length is > 0 and <= 253 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
            ? null
            : "use 1-253 letters, digits, '-', '.' or '_'";

    /// <summary>One directory name under the agent's cgroup (no '/', not '.' or '..').</summary>
    private static string? CheckCgroupName(string value) =>
        value is not ("." or "..") && CheckName(value) is null && value.Length <= 255
            ? null
            : "use one cgroup directory name: 1-253 letters, digits, '-', '.' or '_'";

    private static string? CheckPorts(string value)
    {
        try
        {
            PortRanges.Parse(value);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    private static string? CheckReadable(string path)
    {
        try
        {
            using var _ = File.OpenRead(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {path}: {e.Message}";
        }
    }

    // sun_path holds 107 bytes plus the NUL; the longest name we put in the directory decides.
    private static string? CheckSocketDir(string value)
    {
        if (value.Length == 0) return "must not be empty";
        var longest = Math.Max(AdminSocketDirectory.ApiSocketName.Length, SocketDirectory.LauncherSocketName.Length);
        return System.Text.Encoding.UTF8.GetByteCount(value) + 1 + longest > 107
            ? "too long for a Unix socket path"
            : null;
    }
}
