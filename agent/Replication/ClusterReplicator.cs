using AppSwitch.Agent.Cluster;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.State;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Replication;

/// <summary>
/// Makes the node a cluster member: publishes its own apps, servers and vservices as its gossip state whenever they
/// change, and keeps a replica of every other member's entries in the service table — replaced by each newer
/// version, removed when the member dies or leaves. Also the directory behind `ax get nodes`. Tells
/// <see cref="ClusterReadiness"/> when the other nodes' entries are first here (its join's exchanges applied).
/// </summary>
public sealed class ClusterReplicator(AgentOptions options, ServiceTable table, Rules.RuleBook rules, KeyringFile keyringFile,
    ClusterReadiness readiness, ILoggerFactory loggers)
    : IHostedService, INodeDirectory, IAsyncDisposable
{
    private static readonly TimeSpan PublishDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger = loggers.CreateLogger<ClusterReplicator>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _applyLock = new();
    private readonly Dictionary<string, ulong> _applied = new();
    private GossipNode? _gossip;
    private readonly List<Task> _loops = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Replication.Gossip)
        {
            _logger.LogInformation("Gossip is off (--replication kube): the table travels through the Kubernetes API server");
            return; // KubeReplicator says when the other nodes' entries are here
        }
        if (options.GossipPort == 0)
        {
            _logger.LogInformation("Gossip is off (--gossip-port 0): this node is a cluster of its own");
            if (!options.Replication.ThroughApiServer) readiness.MarkSynced("gossip is off");
            return;
        }
        var gossipOptions = new GossipOptions
        {
            NodeName = options.NodeName, ClusterName = options.Cluster, BindAddress = options.NodeAddress,
            BindPort = options.GossipPort,
            Keyring = KeyringStartup.Choose(options, keyringFile, _logger), KeyringChanged = keyringFile.Save,
        };
        GossipTestKnobs.Apply(gossipOptions, _logger);
        _gossip = await GossipNode.StartAsync(gossipOptions, loggers.CreateLogger<GossipNode>(), cancellationToken);
        var revisions = table.Revisions.Subscribe();
        Publish();
        _loops.Add(Task.Run(() => PublishLoopAsync(revisions)));
        _loops.Add(Task.Run(EventLoopAsync));
        _loops.Add(Task.Run(ResyncLoopAsync));
        if (options.Neighbors.Count > 0)
        {
            readiness.ExpireAfter(ClusterReadiness.DefaultBound);
            _loops.Add(Task.Run(JoinAsync));
        }
        else readiness.MarkSynced("no neighbours to join");
        _logger.LogInformation("Gossiping as {Node} in cluster {Cluster} on {Address}:{Port} ({Encryption}); neighbours: {Neighbors}",
            options.NodeName, options.Cluster, options.NodeAddress, _gossip.BoundPort,
            _gossip.Keyring.Enabled ? "AES-GCM" : "clear text", options.Neighbors.Count == 0 ? "none" : string.Join(",", options.Neighbors));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_gossip is not null)
        {
            try { await _gossip.LeaveAsync(LeaveTimeout, cancellationToken); }
            catch (OperationCanceledException) { }
        }
        await _stopping.CancelAsync();
        Task[] loops;
        lock (_loops) loops = [.. _loops];
        await Task.WhenAll(loops.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    private async Task PublishLoopAsync(System.Threading.Channels.ChannelReader<long> revisions)
    {
        try
        {
            while (await revisions.WaitToReadAsync(_stopping.Token))
            {
                revisions.TryRead(out _);
                await Task.Delay(PublishDelay, _stopping.Token); // a burst of changes becomes one new version
                Publish();
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            table.Revisions.Unsubscribe(revisions);
        }
    }

    /// <summary>
    /// A new gossip version when this node's own entries differ from the last published: revisions also follow
    /// replica applies, and republishing those unchanged would bounce versions between nodes forever. The last
    /// published is the gossip node's own copy (one copy of the encoded state, not two).
    /// </summary>
    private void Publish()
    {
        if (_gossip is null) return;
        var bytes = NodeStateCodec.Encode(table.Apps(), table.Servers(), table.VServices(), rules.Own(), table.Egress);
        if (bytes.AsSpan().SequenceEqual(_gossip.LocalState.Span)) return;
        _gossip.SetLocalState(bytes);
    }

    private async Task JoinAsync()
    {
        try
        {
            var joined = await _gossip!.JoinAsync(options.Neighbors, _stopping.Token);
            _logger.LogInformation("Joined the cluster through {Count} of {Neighbors}", joined, string.Join(",", options.Neighbors));
            // The join's push/pulls brought the members' states: in the table now, not after their events.
            foreach (var member in _gossip.Members()) Apply(member);
            if (readiness.MarkSynced($"joined through {joined}"))
                _logger.LogInformation("The cluster's table is here (joined through {Count}): connects to unknown addresses are no longer held", joined);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// `--gossip-auto-discover`: joins through the other nodes' addresses the Kubernetes adapter found (Node objects).
    /// Joining members already known is harmless; with no member answering yet, the join retries in the background.
    /// </summary>
    public void JoinDiscovered(IReadOnlyList<string> neighbors)
    {
        if (_gossip is null || neighbors.Count == 0) return;
        _logger.LogInformation("Auto-discovered neighbours: {Neighbors}", string.Join(",", neighbors));
        lock (_loops)
            _loops.Add(Task.Run(async () =>
            {
                try
                {
                    var joined = await _gossip.JoinAsync(neighbors, _stopping.Token);
                    _logger.LogInformation("Joined the cluster through {Count} of {Neighbors}", joined, string.Join(",", neighbors));
                }
                catch (OperationCanceledException) { }
            }));
    }

    private async Task EventLoopAsync()
    {
        try
        {
            await foreach (var change in _gossip!.Events.ReadAllAsync(_stopping.Token))
            {
                _logger.LogInformation("Member {Member}: {Kind}", change.Member.Name, change.Kind);
                Apply(change.Member);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Events may be dropped under a flood; the membership snapshot is the source of truth.</summary>
    private async Task ResyncLoopAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(ResyncInterval);
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var members = _gossip!.Members().Where(m => !m.IsLocal).ToList();
                foreach (var member in members) Apply(member);
                lock (_applyLock)
                    foreach (var gone in _applied.Keys.Where(name => members.All(m => m.Name != name)).ToList())
                        Forget(gone);
            }
        }
        catch (OperationCanceledException) { }
    }

    private void Apply(MemberInfo member)
    {
        if (member.IsLocal) return;
        lock (_applyLock)
        {
            if (member.Status is MemberStatus.Dead or MemberStatus.Left)
            {
                Forget(member.Name, declaredDead: member.Status == MemberStatus.Dead);
                return;
            }
            if (member.State.IsEmpty || (_applied.TryGetValue(member.Name, out var version) && version == member.StateVersion)) return;
            try
            {
                var from = new RemoteNodeRef(member.Name, member.Address.Address);
                var (apps, servers) = NodeStateCodec.Decode(member.State.Span, from, out var vservices, out var remoteRules);
                table.ReplaceRemote(from, apps, servers, vservices);
                rules.ReplaceRemote(member.Name, remoteRules);
                _applied[member.Name] = member.StateVersion;
            }
            catch (FormatException e)
            {
                _logger.LogWarning("Ignoring the state of {Member} (version {Version}): {Reason}", member.Name, member.StateVersion, e.Message);
            }
        }
    }

    private void Forget(string name, bool declaredDead = false)
    {
        rules.RemoveRemote(name);
        if (_applied.Remove(name) | table.RemoveRemote(name, declaredDead))
            _logger.LogInformation("Member {Member} is gone; its apps, servers, vservices and rules are removed", name);
    }

    /// <summary>The gossip keyring; null when gossip is off (--gossip-port 0).</summary>
    public GossipKeyring? Keyring => _gossip?.Keyring;

    public IReadOnlyList<NodeRecord> Nodes()
    {
        if (_gossip is null) return new SingleNodeDirectory(table).Nodes();
        var counts = table.RemoteCounts();
        // Every member this node lists speaks its mode: sealed traffic is unreadable to clear-text nodes and back.
        var encryption = _gossip.Keyring.Enabled ? NodeRecord.EncryptionOn : NodeRecord.EncryptionOff;
        return _gossip.Members().OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => new NodeRecord
        {
            Name = m.Name, Cluster = options.Cluster, Address = m.Address.Address.ToString(),
            State = m.Status.ToString().ToLowerInvariant(),
            Apps = m.IsLocal ? table.Apps().Count : counts.GetValueOrDefault(m.Name).Apps,
            Servers = m.IsLocal ? table.Servers().Count : counts.GetValueOrDefault(m.Name).Servers,
            Incarnation = (long)m.Incarnation, StateVersion = (long)m.StateVersion, GossipPort = m.Address.Port, Self = m.IsLocal,
            Encryption = encryption,
        }).ToList();
    }

    public ClusterStats Stats()
    {
        if (_gossip is null) return new SingleNodeDirectory(table).Stats();
        var c = _gossip.Counters;
        return new ClusterStats
        {
            Node = options.NodeName, Cluster = options.Cluster, Gossip = true, Encrypted = _gossip.Keyring.Enabled,
            MessagesSent = c.MessagesSent, BytesSent = c.BytesSent, MessagesReceived = c.MessagesReceived, BytesReceived = c.BytesReceived,
            DecodeFailures = c.DecodeFailures, AuthFailures = c.AuthFailures, WrongCluster = c.WrongCluster, EventsDropped = c.EventsDropped,
            UnknownMessages = c.UnknownMessages, InboxDropped = c.InboxDropped,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_gossip is not null) await _gossip.DisposeAsync();
        _stopping.Dispose();
    }
}
