using AppSwitch.Agent.Api;
using AppSwitch.Agent.Api.Access;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Interception;
using AppSwitch.Agent.L7;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.Metrics;
using AppSwitch.Agent.Metrics.Export;
using AppSwitch.Agent.Metrics.Observed;
using AppSwitch.Agent.NameService;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.ClientAddress;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.State;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Paths;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;

namespace AppSwitch.Agent.Hosting;

/// <summary>
/// Builds and runs the agent: Kestrel on &lt;admin-socket-dir&gt;/api.sock (and the REST port), the service table,
/// the syscall supervisor and the launcher endpoint. Runs until SIGTERM/SIGINT.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class AgentHost
{
    /// <summary>Socket and admin directories: root and its group only (the sockets inside check their peers too).</summary>
    private const UnixFileMode SocketDirMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    public static async Task<int> RunAsync(AgentOptions options)
    {
        var apiSocket = AdminSocketDirectory.ApiSocket(options.AdminSocketDir);
        if ((PrepareDirectory(options.SocketDir) ?? SocketPermissions.SecureDirectory(options.SocketDir, options.SocketGroup)
             ?? PrepareDirectory(options.AdminSocketDir) ?? SocketPermissions.SecureDirectory(options.AdminSocketDir, options.SocketGroup)
             ?? Claim(options.AdminSocketDir, apiSocket)) is { } problem)
        {
            Console.Error.WriteLine($"ax daemon: {problem}");
            return 1;
        }

        RestPortTls? tls;
        try
        {
            tls = options.ApiCertFile is { } cert ? RestPortTls.Load(cert, options.ApiKeyFile!, options.ApiClientCaFile) : null;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"ax daemon: {e.Message}");
            return 1;
        }

        // Before any socket exists: node sockets carry the cgroup of the agent that made them.
        var socketLock = options.SocketLock ? SocketLockInstaller.Engage(options.SocketLockCgroup, options.AdminSocketDir) : null;
        string? clientAddressDetail = null;
        var clientAddresses = options.PreserveClientIp ? ClientAddressInstaller.Engage(options.SocketLockCgroup, options.AdminSocketDir,
            socketLock?.Translations, out clientAddressDetail) : null;
        if (!options.PreserveClientIp && options.SocketLock) ClientAddressInstaller.Disengage(options.SocketLockCgroup);
        await using var app = Build(options, apiSocket, tls, socketLock?.Translations, clientAddresses);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AgentHost).FullName!);
        if (socketLock is null) AgentHostLog.SocketLockDisabled(log);
        else if (socketLock.Engaged) AgentHostLog.SocketLockOn(log, socketLock.Detail);
        else AgentHostLog.SocketLockOff(log, socketLock.Detail);
        if (!options.PreserveClientIp) AgentHostLog.ClientIpDisabled(log);
        else if (clientAddresses is not null) AgentHostLog.ClientIpOn(log, clientAddressDetail!);
        else AgentHostLog.ClientIpOff(log, clientAddressDetail!);
        try
        {
            foreach (var moved in LegacyStateLocation.MoveToAdminDirectory(options.SocketDir, options.AdminSocketDir))
                AgentHostLog.MovedLegacyState(log, moved, options.SocketDir, options.AdminSocketDir);
            // An older agent's api.sock in the pods' directory: gone once nobody answers on it.
            if (options.SocketDir != options.AdminSocketDir) ApiSocketFile.TryClaim(Path.Combine(options.SocketDir, AdminSocketDirectory.ApiSocketName));
            try
            {
                await app.StartAsync();
            }
            catch (IOException e)
            {
                // Kestrel reports "address already in use" this way (the REST port, usually).
                AgentHostLog.ListenFailed(log, e.Message);
                return 1;
            }
            SocketPermissions.SecureSocket(apiSocket, options);
            AgentHostLog.Started(log, options.NodeName, options.NodeAddress, options.Cluster, options.SocketDir,
                options.AdminSocketDir, options.RestPort > 0 ? RestPortDescription(options) : "off", options.Ports);
            await app.WaitForShutdownAsync();
            AgentHostLog.Stopped(log);
            return 0;
        }
        finally
        {
            ApiSocketFile.Remove(apiSocket);
        }
    }

    private static string RestPortDescription(AgentOptions options)
    {
        var scheme = options.ApiCertFile is null ? "http" : "https";
        var credentials = new[] { options.ApiTokenFile is null ? null : "bearer token", options.ApiClientCaFile is null ? null : "client certificate" }
            .OfType<string>().ToList();
        return $"{scheme}://{options.NodeAddress}:{options.RestPort} " +
               $"({(credentials.Count == 0 ? "health only: no --api-token-file or --api-client-ca" : string.Join(" or ", credentials))})";
    }

    /// <param name="translations">The socket lock's map of unconnected UDP translations (null without the lock).</param>
    internal static WebApplication Build(AgentOptions options, string apiSocket, RestPortTls? tls = null, DatagramTranslations? translations = null,
        ClientAddressMaps? clientAddresses = null)
    {
        // The empty builder skips appsettings, user secrets and their reflection: the agent starts noticeably faster.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "appswitch-agent" });
        builder.WebHost.UseKestrelCore();
        if (tls is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A client that sends no request head in time, or sits idle between requests, is closed (a slowloris).
            kestrel.Limits.RequestHeadersTimeout = options.HandshakeTimeout;
            kestrel.Limits.KeepAliveTimeout = options.HandshakeTimeout;
            // The node address only: other interfaces (a pod network, a management LAN) have no business here.
            // Bound before api.sock (Kestrel binds in this order): an answer on api.sock means the REST port is up too.
            if (options.RestPort > 0)
                kestrel.Listen(options.NodeAddress, options.RestPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    LimitConnections(listen);
                    if (tls is not null) listen.UseHttps(tls.Options());
                });
            kestrel.ListenUnixSocket(apiSocket, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                LimitConnections(listen);
            });
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        AgentLogging.Configure(builder.Logging, options.LogLevel);

        builder.Services.AddSingleton(options);
        // Metrics: the meter the mechanisms record into, its exporter (/metrics) and the gauges read at scrape time.
        builder.Services.AddSingleton<AgentMetrics>();
        builder.Services.AddSingleton<MetricsCollector>();
        builder.Services.AddSingleton<AgentGauges>();
        builder.Services.AddSingleton<ApiConnectionLimiter>();
        builder.Services.AddSingleton(new NodeIdentity(options.NodeName, options.Cluster, options.NodeAddress));
        builder.Services.AddSingleton(sp => new ServiceTable(sp.GetRequiredService<NodeIdentity>()) { Egress = options.Egress.ToString() });
        // Until the first gossip exchange, a connect to an unknown, unreachable address waits (a restarted agent's apps).
        builder.Services.AddSingleton(new ClusterReadiness());
        // Sources of their own next to the table: a change of this node's rules is a table revision (saved, published).
        builder.Services.AddSingleton(sp => RuleBookFor(options.NodeName, sp.GetRequiredService<ServiceTable>()));
        builder.Services.AddSingleton<Kubernetes.KubernetesRegistry>();
        builder.Services.AddSingleton<ClusterReplicator>();
        builder.Services.AddSingleton<INodeDirectory>(sp => sp.GetRequiredService<ClusterReplicator>());
        // DNS for apps: the launcher endpoint hands it sockets, the supervisor redirects node sockets to it.
        builder.Services.AddSingleton(sp => DnsSetup.CreateServer(options, sp.GetRequiredService<ServiceTable>(),
            sp.GetRequiredService<Kubernetes.KubernetesRegistry>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<AgentMetrics>()));
        // The supervisor is both a service others call (the launcher endpoint hands it listeners) and a hosted service.
        builder.Services.AddSingleton(new StateFile(options.AdminSocketDir));
        builder.Services.AddSingleton(sp => KeyringFile.NextTo(sp.GetRequiredService<StateFile>()));
        builder.Services.AddSingleton(_ => new InflightJournal(options.AdminSocketDir));
        // The HTTP relay starts before the supervisor: restored apps may connect through it at once.
        builder.Services.AddSingleton<HttpRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HttpRelay>());
        // Routing: decisions on one snapshot of the table, rules and Kubernetes view; the drivers ask IConnectRouter.
        builder.Services.AddSingleton<Xds.XdsRegistry>();
        builder.Services.AddSingleton<IRoutingSnapshotSource>(sp => new RoutingSnapshotSource(sp.GetRequiredService<ServiceTable>(),
            sp.GetRequiredService<RuleBook>(), sp.GetRequiredService<Kubernetes.KubernetesRegistry>(), options.Egress,
            sp.GetRequiredService<Xds.XdsRegistry>()));
        builder.Services.AddSingleton<IConnectRouter>(sp =>
        {
            var httpRelay = sp.GetRequiredService<HttpRelay>();
            var directory = sp.GetRequiredService<INodeDirectory>();
            var resolver = new ConnectTargetResolver(new BackendPicker(), sp.GetRequiredService<ILogger<ConnectTargetResolver>>(),
                sp.GetRequiredService<DnsServer>().NodeEndPoint, () => httpRelay.EndPoint,
                new AgentEndPoints(sp.GetRequiredService<NodeIdentity>(), options.RestPort, options.GossipPort, () => httpRelay.EndPoint, directory.Nodes),
                sp.GetRequiredService<ClusterReadiness>(),
                options.Dns ? DnsSetup.NodeNameservers(sp.GetRequiredService<ILogger<DnsServer>>()) : null);
            return new ConnectRouter(sp.GetRequiredService<IRoutingSnapshotSource>(), resolver);
        });
        builder.Services.AddSingleton(sp => new Supervisor(options, sp.GetRequiredService<ServiceTable>(),
            sp.GetRequiredService<InflightJournal>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<IConnectRouter>(), sp.GetRequiredService<HttpRelay>(), sp.GetRequiredService<ClusterReadiness>(),
            sp.GetRequiredService<AgentMetrics>(), translations, new ClientMarker(sp.GetRequiredService<ServiceTable>(), clientAddresses)));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Supervisor>());
        if (clientAddresses is not null)
            builder.Services.AddHostedService(sp => new TrustedNodeSync(sp.GetRequiredService<ServiceTable>(), clientAddresses,
                sp.GetRequiredService<ILogger<TrustedNodeSync>>()));
        // Hosted services start in this order: the previous agent's apps are back before new ones arrive.
        builder.Services.AddSingleton(sp => new StateWriteAheadLog(options.AdminSocketDir, sp.GetRequiredService<ILogger<StateWriteAheadLog>>()));
        builder.Services.AddSingleton(sp => new StateWriter(sp.GetRequiredService<ServiceTable>(), sp.GetRequiredService<RuleBook>(),
            sp.GetRequiredService<StateFile>(), sp.GetRequiredService<StateWriteAheadLog>(), sp.GetRequiredService<ILogger<StateWriter>>(),
            sp.GetRequiredService<AgentMetrics>()));
        builder.Services.AddHostedService(sp => new StateRestorer(options, sp.GetRequiredService<ServiceTable>(), sp.GetRequiredService<RuleBook>(),
            sp.GetRequiredService<Supervisor>(), sp.GetRequiredService<StateFile>(), sp.GetRequiredService<StateWriteAheadLog>(),
            sp.GetRequiredService<StateWriter>(), sp.GetRequiredService<InflightJournal>(),
            sp.GetRequiredService<DnsServer>(), sp.GetRequiredService<ILogger<StateRestorer>>()));
        builder.Services.AddHostedService<LauncherEndpoint>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterReplicator>());
        builder.Services.AddHostedService<ClosedSocketSweeper>();
        // After a burst of work the idle agent gives the heap it no longer needs back (agent/Memory).
        builder.Services.AddHostedService<Memory.HeapTrimmer>();
        // Apps' connections follow their service: connected UDP moves off instances that left, TCP to dead nodes is reset.
        builder.Services.AddSingleton(sp => new Following.UdpRepointer(sp.GetRequiredService<ServiceTable>(), sp.GetRequiredService<IConnectRouter>(),
            sp.GetRequiredService<AgentMetrics>(), sp.GetRequiredService<ILogger<Following.UdpRepointer>>(), translations));
        builder.Services.AddSingleton<Following.DeadNodeResetter>();
        builder.Services.AddHostedService<Following.SocketFollower>();
        if (Kubernetes.Adapter.KubernetesAdapter.IsWanted(options)) builder.Services.AddHostedService<Kubernetes.Adapter.KubernetesAdapter>();
        if (options.Replication.ThroughApiServer) builder.Services.AddHostedService<Kubernetes.Replication.KubeReplicator>();
        // istiod's routes and subsets (issue 17): the agent dials out to --xds-address; nothing listens.
        if (options.Xds.Enabled)
            builder.Services.AddHostedService(sp => new Xds.Client.AdsClient(options.Xds, options.NodeName, options.NodeAddress,
                sp.GetRequiredService<Xds.XdsRegistry>(), sp.GetRequiredService<ILogger<Xds.Client.AdsClient>>(),
                dnsUpstreams: options.DnsServers.Count > 0 ? options.DnsServers
                    : NameService.DnsSetup.NodeNameservers(sp.GetRequiredService<ILogger<Xds.Client.AdsClient>>())));
        builder.Services.AddSingleton(sp => new Relay.RelayManager(sp.GetRequiredService<ServiceTable>(),
            sp.GetRequiredService<IConnectRouter>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Relay.RelayManager>());

        var app = builder.Build();
        app.Services.GetRequiredService<MetricsCollector>(); // listening before the first measurement
        app.Services.GetRequiredService<AgentGauges>();
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseMiddleware<ApiAccessMiddleware>();
        app.MapHealthEndpoint();
        app.MapTableEndpoints();
        app.MapVServiceEndpoints();
        app.MapRuleEndpoints();
        app.MapRegistryEndpoints();
        app.MapXdsEndpoints();
        app.MapKeyEndpoints();
        app.MapMetricsEndpoint();
        return app;
    }

    /// <summary>Per-peer connection limits ahead of everything else on the listener (before TLS: a refused peer costs no handshake).</summary>
    private static void LimitConnections(ListenOptions listen) =>
        listen.Use(next => listen.ApplicationServices.GetRequiredService<ApiConnectionLimiter>().Wrap(next));

    /// <summary>The rule book whose changes of this node's rules are table changes (written ahead: the batch alone).</summary>
    internal static RuleBook RuleBookFor(string nodeName, ServiceTable table) =>
        new(nodeName, change => table.Revisions.Publish(change.Removed.Count > 0
            ? TableChange.RulesRemoved(change.Removed) : TableChange.RulesPut(change.Put)));

    /// <summary>Creates a directory of the agent (socket or admin) when missing; returns a one-line problem or null.</summary>
    private static string? PrepareDirectory(string dir)
    {
        try
        {
            if (!Directory.Exists(dir)) Directory.CreateDirectory(dir, SocketDirMode);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot prepare the directory {dir}: {e.Message}";
        }
    }

    /// <summary>Claims api.sock in the admin directory; returns a one-line problem or null.</summary>
    private static string? Claim(string adminDir, string apiSocket)
    {
        try
        {
            return ApiSocketFile.TryClaim(apiSocket)
                ? null
                : $"another agent is already serving {adminDir} (its API answers on {apiSocket})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot claim {apiSocket}: {e.Message}";
        }
    }
}
