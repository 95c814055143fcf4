using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Kubernetes.Connection;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Kubernetes.Replication;

/// <summary>
/// `--replication kube|both`: the table through the Kubernetes API server. This node's apps, servers, vservices and
/// rules go into its AppSwitchNode object (the gossip publication as `spec.state`, rewritten when it changes,
/// coalesced as gossip's); its Lease is renewed every third of its duration; every agent watches all AppSwitchNode
/// objects and the Leases (informers: list + watch, bookmarks, relist on 410) and <see cref="ApiServerReplica"/>
/// turns them into replica entries. No connection to the API server → one error line, and the node stays alone.
/// </summary>
public sealed class KubeReplicator(AgentOptions options, ServiceTable table, RuleBook rules, ClusterReadiness readiness, ILoggerFactory loggers)
    : IHostedService
{
    private static readonly TimeSpan PublishDelay = TimeSpan.FromMilliseconds(20);
    /// <summary>How often Lease expiry is judged when nothing else happens.</summary>
    private static readonly TimeSpan ExpiryTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(2);
    /// <summary>Where the Leases live when the connection names no namespace (outside a pod, a kubeconfig without one).</summary>
    public const string DefaultLeaseNamespace = "kube-system";

    private readonly ILogger _logger = loggers.CreateLogger<KubeReplicator>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private IKubernetes? _client;
    private NodeLeaseKeeper? _lease;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Replication.ThroughApiServer) return Task.CompletedTask;
        KubeConnection connection;
        try
        {
            connection = KubeConnectionResolver.Resolve(options.Kubernetes);
        }
        catch (KubeConnectionException e)
        {
            _logger.LogError("Replication through the Kubernetes API server is off: {Problem}", e.Message);
            readiness.MarkSynced("no Kubernetes API server");
            return Task.CompletedTask;
        }
        var leaseNamespace = connection.Namespace ?? DefaultLeaseNamespace;
        _client = connection.CreateClient();
        _lease = new NodeLeaseKeeper(_client, leaseNamespace, options.NodeName, options.Replication.LeaseDuration);
        readiness.ExpireAfter(ClusterReadiness.DefaultBound);
        var revisions = table.Revisions.Subscribe();
        _loops.Add(Task.Run(() => PublishLoopAsync(new NodeObjectWriter(_client, options.NodeName), revisions)));
        _loops.Add(Task.Run(RenewLoopAsync));
        _loops.Add(Task.Run(() => WatchLoopAsync(_client, leaseNamespace)));
        _logger.LogInformation("Replicating through the Kubernetes API server {Server} ({Source}): AppSwitchNode {Node}, Lease {Namespace}/{Lease} of {Seconds} s",
            connection.Server, connection.Source, options.NodeName, leaseNamespace, NodeLeaseKeeper.LeaseName(options.NodeName),
            options.Replication.LeaseDuration.TotalSeconds);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_lease is not null)
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(ReleaseTimeout);
            try { await _lease.ReleaseAsync(bound.Token); }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or k8s.Autorest.HttpOperationException)
            {
                _logger.LogWarning("Could not release the Lease (the other nodes drop this node when it expires): {Error}", e.Message);
            }
        }
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _client?.Dispose();
    }

    /// <summary>Rewrites the object when this node's own entries changed (revisions also follow replica applies).</summary>
    private async Task PublishLoopAsync(NodeObjectWriter writer, ChannelReader<long> revisions)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        byte[] written = [];
        try
        {
            while (true)
            {
                var bytes = NodeStateCodec.Encode(table.Apps(), table.Servers(), table.VServices(), rules.Own(), table.Egress);
                if (!bytes.AsSpan().SequenceEqual(written))
                {
                    try
                    {
                        await writer.WriteAsync(Spec(bytes), _stopping.Token);
                        written = bytes;
                        backoff.Reset();
                    }
                    catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException)
                    {
                        var delay = backoff.NextDelay();
                        _logger.LogWarning("Cannot write AppSwitchNode {Node}: {Error}; retrying in {Delay:0.0} s", options.NodeName, e.Message, delay.TotalSeconds);
                        await Task.Delay(delay, _stopping.Token);
                        continue;
                    }
                }
                await revisions.WaitToReadAsync(_stopping.Token);
                while (revisions.TryRead(out _)) { }
                await Task.Delay(PublishDelay, _stopping.Token); // a burst of changes becomes one write
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            table.Revisions.Unsubscribe(revisions);
        }
    }

    private AppSwitchNodeSpec Spec(byte[] publication)
    {
        using var document = JsonDocument.Parse(publication);
        return new AppSwitchNodeSpec
        {
            Node = options.NodeName, Address = options.NodeAddress.ToString(), Cluster = options.Cluster, State = document.RootElement.Clone(),
        };
    }

    private async Task RenewLoopAsync()
    {
        var every = options.Replication.LeaseDuration / 3;
        var backoff = new Backoff(TimeSpan.FromMilliseconds(500), every);
        try
        {
            while (true)
            {
                try
                {
                    await _lease!.RenewAsync(_stopping.Token);
                    backoff.Reset();
                    await Task.Delay(every, _stopping.Token);
                }
                catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException)
                {
                    var delay = backoff.NextDelay();
                    _logger.LogWarning("Cannot renew Lease {Lease}: {Error}; retrying in {Delay:0.0} s", NodeLeaseKeeper.LeaseName(options.NodeName), e.Message,
                        delay.TotalSeconds);
                    await Task.Delay(delay, _stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task WatchLoopAsync(IKubernetes client, string leaseNamespace)
    {
        var informerOptions = new InformerOptions();
        var informerLogger = loggers.CreateLogger<KubeReplicator>();
        var nodes = new KubeInformer<AppSwitchNode, AppSwitchNodeList>(client, KubeResources.AppSwitchNodes, null, informerOptions, informerLogger);
        var leases = new KubeInformer<V1Lease, V1LeaseList>(client, KubeResources.Leases, leaseNamespace, informerOptions, informerLogger);
        var replica = new ApiServerReplica(options.NodeName, table, rules, _logger);
        var clock = Stopwatch.StartNew();
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var watching = new[] { nodes.RunAsync(_stopping.Token), leases.RunAsync(_stopping.Token),
            ForwardAsync(nodes.Events, changed.Writer), ForwardAsync(leases.Events, changed.Writer) };
        try
        {
            await Task.WhenAll(nodes.WaitForSyncAsync(_stopping.Token), leases.WaitForSyncAsync(_stopping.Token));
            using var tick = new PeriodicTimer(ExpiryTick);
            var ticking = tick.WaitForNextTickAsync(_stopping.Token).AsTask();
            Task<bool>? next = null;
            while (true)
            {
                replica.Reconcile(nodes.Snapshot(), leases.Snapshot(), clock.Elapsed);
                if (readiness.MarkSynced($"the API server's AppSwitchNodes read ({replica.Applied.Count} other nodes)"))
                    _logger.LogInformation("The cluster's table is here ({Count} other nodes through the API server)", replica.Applied.Count);
                next ??= changed.Reader.ReadAsync(_stopping.Token).AsTask();
                if (await Task.WhenAny(next, ticking) == next) next = null;
                else ticking = tick.WaitForNextTickAsync(_stopping.Token).AsTask();
            }
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(watching.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    private static async Task ForwardAsync<T>(ChannelReader<InformerEvent<T>> events, ChannelWriter<bool> changed)
    {
        await foreach (var _ in events.ReadAllAsync()) changed.TryWrite(true);
    }
}
