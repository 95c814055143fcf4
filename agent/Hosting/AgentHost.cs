using System.Net;
using AppSwitch.Agent.Api;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Interception;
using AppSwitch.Agent.L7;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.NameService;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.SocketLock;
using AppSwitch.Agent.State;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Paths;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;

namespace AppSwitch.Agent.Hosting;

/// <summary>
/// Builds and runs the agent: Kestrel on &lt;socket-dir&gt;/api.sock (and the REST port), the service table,
/// the syscall supervisor and the launcher endpoint. Runs until SIGTERM/SIGINT.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class AgentHost
{
    /// <summary>Unix socket directory: root and its group only (the launcher socket inside decides who may run apps).</summary>
    private const UnixFileMode SocketDirMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    public static async Task<int> RunAsync(AgentOptions options)
    {
        var apiSocket = SocketDirectory.ApiSocket(options.SocketDir);
        if ((Prepare(options.SocketDir, apiSocket) ?? SocketPermissions.SecureDirectory(options.SocketDir, options.SocketGroup)) is { } problem)
        {
            Console.Error.WriteLine($"ax daemon: {problem}");
            return 1;
        }

        // Before any socket exists: node sockets carry the cgroup of the agent that made them.
        var socketLock = options.SocketLock ? SocketLockInstaller.Engage(options.SocketLockCgroup) : null;
        await using var app = Build(options, apiSocket);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AgentHost).FullName!);
        if (socketLock is null) AgentHostLog.SocketLockDisabled(log);
        else if (socketLock.Engaged) AgentHostLog.SocketLockOn(log, socketLock.Detail);
        else AgentHostLog.SocketLockOff(log, socketLock.Detail);
        try
        {
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
                options.RestPort > 0 ? options.RestPort.ToString() : "off", options.Ports);
            await app.WaitForShutdownAsync();
            AgentHostLog.Stopped(log);
            return 0;
        }
        finally
        {
            ApiSocketFile.Remove(apiSocket);
        }
    }

    public static WebApplication Build(AgentOptions options, string apiSocket)
    {
        // The empty builder skips appsettings, user secrets and their reflection: the agent starts noticeably faster.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "appswitch-agent" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(apiSocket, listen => listen.Protocols = HttpProtocols.Http1);
            if (options.RestPort > 0)
                kestrel.Listen(IPAddress.Any, options.RestPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        AgentLogging.Configure(builder.Logging, options.LogLevel);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new NodeIdentity(options.NodeName, options.Cluster, options.NodeAddress));
        builder.Services.AddSingleton<ServiceTable>();
        builder.Services.AddSingleton<ClusterReplicator>();
        builder.Services.AddSingleton<INodeDirectory>(sp => sp.GetRequiredService<ClusterReplicator>());
        // DNS for apps: the launcher endpoint hands it sockets, the supervisor redirects node sockets to it.
        builder.Services.AddSingleton(sp => DnsSetup.CreateServer(options, sp.GetRequiredService<ServiceTable>(), sp.GetRequiredService<ILoggerFactory>()));
        // The supervisor is both a service others call (the launcher endpoint hands it listeners) and a hosted service.
        builder.Services.AddSingleton(new StateFile(options.SocketDir));
        builder.Services.AddSingleton(_ => new InflightJournal(options.SocketDir));
        // The HTTP relay starts before the supervisor: restored apps may connect through it at once.
        builder.Services.AddSingleton<HttpRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HttpRelay>());
        builder.Services.AddSingleton(sp => new ConnectTargetResolver(sp.GetRequiredService<ServiceTable>(), new BackendPicker(),
            sp.GetRequiredService<ILogger<Supervisor>>(), sp.GetRequiredService<DnsServer>().NodeEndPoint, sp.GetRequiredService<HttpRelay>()));
        builder.Services.AddSingleton(sp => new Supervisor(options, sp.GetRequiredService<ServiceTable>(),
            sp.GetRequiredService<InflightJournal>(), sp.GetRequiredService<ILogger<Supervisor>>(),
            sp.GetRequiredService<ConnectTargetResolver>(), sp.GetRequiredService<HttpRelay>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Supervisor>());
        // Hosted services start in this order: the previous agent's apps are back before new ones arrive.
        builder.Services.AddHostedService(sp => new StateRestorer(options, sp.GetRequiredService<ServiceTable>(),
            sp.GetRequiredService<Supervisor>(), sp.GetRequiredService<StateFile>(), sp.GetRequiredService<InflightJournal>(),
            sp.GetRequiredService<DnsServer>(), sp.GetRequiredService<ILogger<StateRestorer>>()));
        builder.Services.AddHostedService<LauncherEndpoint>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterReplicator>());
        builder.Services.AddHostedService<ClosedSocketSweeper>();
        builder.Services.AddHostedService<Kubernetes.Adapter.KubernetesAdapter>();
        builder.Services.AddSingleton(sp => new Relay.RelayManager(sp.GetRequiredService<ServiceTable>(),
            sp.GetRequiredService<ConnectTargetResolver>(), sp.GetRequiredService<ILogger<Relay.RelayManager>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Relay.RelayManager>());

        var app = builder.Build();
        app.UseMiddleware<ApiErrorMiddleware>();
        app.MapHealthEndpoint();
        app.MapTableEndpoints();
        app.MapVServiceEndpoints();
        app.MapRuleEndpoints();
        app.MapRegistryEndpoints();
        return app;
    }

    /// <summary>Creates the socket directory when missing and claims api.sock; returns a one-line problem or null.</summary>
    private static string? Prepare(string socketDir, string apiSocket)
    {
        try
        {
            if (!Directory.Exists(socketDir)) Directory.CreateDirectory(socketDir, SocketDirMode);
            return ApiSocketFile.TryClaim(apiSocket)
                ? null
                : $"another agent is already serving {socketDir} (its API answers on {apiSocket})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot prepare the socket directory {socketDir}: {e.Message}";
        }
    }
}
