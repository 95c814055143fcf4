using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Kubernetes.Connection;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Mapping;
using k8s;
using k8s.Models;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Rules;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Kubernetes.Adapter;

/// <summary>
/// Runs what the Kubernetes flags ask for, each agent on its own watches (nothing of it travels by gossip):
/// `--discovery-adapter kubernetes` mirrors Services and their ready endpoints into <see cref="KubernetesRegistry"/>,
/// `--rules-adapter kubernetes` keeps the rule book's Kubernetes rules (<see cref="RoutingRuleSync"/>),
/// `--gossip-auto-discover` joins the other nodes found in Node objects. A connection that cannot be configured is
/// logged and the agent goes on without Kubernetes.
/// </summary>
public sealed class KubernetesAdapter(AgentOptions options, RuleBook ruleBook, KubernetesRegistry kubernetesRegistry,
    ClusterReplicator replicator, ILoggerFactory loggers)
    : BackgroundService
{
    public const string Name = "kubernetes";

    private readonly ILogger _logger = loggers.CreateLogger<KubernetesAdapter>();

    /// <summary>
    /// Whether a flag asks for Kubernetes. The host runs the adapter only then: its code loads KubernetesClient
    /// (~3.5 MiB resident), which an agent without Kubernetes never needs.
    /// </summary>
    public static bool IsWanted(AgentOptions options) =>
        options.DiscoveryAdapter == Name || options.RulesAdapter == Name || options.GossipAutoDiscover;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!IsWanted(options)) return;
        var registry = options.DiscoveryAdapter == Name;
        var rules = options.RulesAdapter == Name;
        KubeConnection connection;
        try
        {
            connection = KubeConnectionResolver.Resolve(options.Kubernetes);
        }
        catch (KubeConnectionException e)
        {
            _logger.LogError("Kubernetes is off: {Problem}", e.Message);
            return;
        }
        var @namespace = options.Kubernetes.Namespace;
        _logger.LogInformation("Kubernetes: API server {Server} ({Source}), namespace {Namespace}; registry {Registry}, rules {Rules}, auto-discover {Discover}",
            connection.Server, connection.Source, @namespace ?? "(all)", registry, rules, options.GossipAutoDiscover);
        using var client = connection.CreateClient();
        var informerOptions = new InformerOptions();
        var tasks = new List<Task>();
        if (registry) tasks.Add(MirrorRegistryAsync(client, @namespace, informerOptions, stoppingToken));
        if (rules) tasks.Add(new RoutingRuleSync(client, @namespace, informerOptions, ruleBook, loggers.CreateLogger<RoutingRuleSync>()).RunAsync(stoppingToken));
        if (options.GossipAutoDiscover) tasks.Add(DiscoverNeighborsAsync(client, informerOptions, stoppingToken));
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            kubernetesRegistry.Replace(KubernetesRegistryView.Empty);
        }
    }

    private async Task MirrorRegistryAsync(IKubernetes client, string? @namespace, InformerOptions informerOptions, CancellationToken stoppingToken)
    {
        var watcher = new KubernetesRegistryWatcher(client, @namespace, informerOptions, loggers);
        var mapper = new KubernetesServiceMapper();
        var watching = watcher.RunAsync(stoppingToken);
        try
        {
            await watcher.WaitForSyncAsync(stoppingToken);
            do
            {
                var view = KubernetesRegistryView.From(watcher.Snapshot(), mapper);
                kubernetesRegistry.Replace(view);
                _logger.LogInformation("Kubernetes registry: {Instances} ready instances, {Virtuals} ClusterIP ports",
                    view.Instances.Count, view.Virtuals.Count);
            } while (await watcher.Changes.ReadAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await watching;
    }

    private async Task DiscoverNeighborsAsync(IKubernetes client, InformerOptions informerOptions, CancellationToken stoppingToken)
    {
        var nodes = new KubeInformer<V1Node, V1NodeList>(client, KubeResources.Nodes, null, informerOptions, _logger);
        var watching = nodes.RunAsync(stoppingToken);
        IReadOnlyList<string> joined = [];
        try
        {
            await nodes.WaitForSyncAsync(stoppingToken);
            do
            {
                while (nodes.Events.TryRead(out _)) { }
                var neighbors = NodeNeighbors.From(nodes.Snapshot(), options.NodeName)
                    .Where(a => a != options.NodeAddress.ToString() && !joined.Contains(a)).ToList();
                if (neighbors.Count > 0) replicator.JoinDiscovered(neighbors);
                joined = [.. joined, .. neighbors];
            } while (await nodes.Events.WaitToReadAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await watching;
    }
}
