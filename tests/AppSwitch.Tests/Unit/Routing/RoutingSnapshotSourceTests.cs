using System.Net;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit.Routing;

/// <summary>
/// The snapshot in force against a real table changing underneath: never half of an update, never older than a
/// change the reader has seen complete, and built lazily (a burst of changes costs one build at the next read).
/// </summary>
public sealed class RoutingSnapshotSourceTests
{
    private static readonly IPAddress Node2 = IPAddress.Parse("10.77.0.2");
    private readonly ServiceTable _table = new(new NodeIdentity("n1", "appswitch", IPAddress.Parse("10.77.0.1")));
    private readonly AppSwitch.Agent.Rules.RuleBook _rules = new("n1", _ => { });

    /// <summary>Generation <paramref name="g"/> of node n2: <paramref name="count"/> apps, each with a server on port 1000+g.</summary>
    private void PublishGeneration(int g, int count)
    {
        var remote = new RemoteNodeRef("n2", Node2);
        var apps = new List<AppEntry>();
        var servers = new List<ServerEntry>();
        for (var i = 0; i < count; i++)
        {
            var app = new AppEntry { Id = $"g{g}-{i}", VirtualIp = IPAddress.Parse($"198.18.1.{i + 1}"), RemoteNode = remote };
            apps.Add(app);
            servers.Add(new ServerEntry
            {
                App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(app.VirtualIp, 1000 + g),
                Node = new IPEndPoint(Node2, 20000 + i), Inode = (ulong)i
            });
        }
        _table.ReplaceRemote(remote, apps, servers);
    }

    [Fact]
    public async Task A_reader_racing_a_writer_never_sees_half_an_update_nor_goes_back_in_time()
    {
        const int count = 8;
        const int generations = 3000;
        var source = new RoutingSnapshotSource(_table, _rules, new AppSwitch.Agent.Kubernetes.KubernetesRegistry());
        PublishGeneration(0, count);
        var published = 0; // the last generation whose ReplaceRemote returned
        var problems = new List<string>();
        var writer = Task.Run(() =>
        {
            for (var g = 1; g <= generations; g++)
            {
                PublishGeneration(g, count);
                Volatile.Write(ref published, g);
            }
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            long lastVersion = -1;
            var lastGeneration = -1;
            while (!writer.IsCompleted)
            {
                var atLeast = Volatile.Read(ref published);
                var snapshot = source.Current;
                var generation = snapshot.Apps.Count == 0 ? -1 : int.Parse(snapshot.Apps[0].Id[1..snapshot.Apps[0].Id.IndexOf('-')]);
                var servers = Enumerable.Range(1, count)
                    .Sum(i => snapshot.ServersFor(IPAddress.Parse($"198.18.1.{i}"), 1000 + generation, Transport.Tcp).Count);
                var mixed = snapshot.Apps.Count != count || servers != count
                            || snapshot.Apps.Any(a => !a.Id.StartsWith($"g{generation}-", StringComparison.Ordinal));
                lock (problems)
                {
                    if (mixed) problems.Add($"generation {generation}: {snapshot.Apps.Count} apps, {servers} servers of it");
                    if (generation < atLeast) problems.Add($"generation {generation} read after {atLeast} was published");
                    if (snapshot.Version < lastVersion || generation < lastGeneration)
                        problems.Add($"went back: version {lastVersion} → {snapshot.Version}, generation {lastGeneration} → {generation}");
                }
                lastVersion = snapshot.Version;
                lastGeneration = generation;
            }
        })).ToArray();
        await Task.WhenAll([writer, .. readers]).WaitAsync(TimeSpan.FromMinutes(2)); // anti-hang bound only
        Assert.Empty(problems);
        Assert.All(Enumerable.Range(1, count),
            i => Assert.Single(source.Current.ServersFor(IPAddress.Parse($"198.18.1.{i}"), 1000 + generations, Transport.Tcp)));
    }

    [Fact]
    public void A_burst_of_changes_builds_one_snapshot_at_the_next_read_and_reads_in_between_build_none()
    {
        var source = new RoutingSnapshotSource(_table, _rules, new AppSwitch.Agent.Kubernetes.KubernetesRegistry());
        var first = source.Current;
        var builds = source.Builds;
        Assert.Same(first, source.Current); // nothing changed: the same snapshot, no build
        Assert.Equal(builds, source.Builds);

        var app = new AppEntry { Id = "a1", VirtualIp = IPAddress.Parse("198.18.2.1") };
        _table.AddApp(app);
        for (var i = 0; i < 50; i++)
            _table.AddServer(new ServerEntry
            {
                App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(app.VirtualIp, 2000 + i),
                Node = new IPEndPoint(IPAddress.Parse("10.77.0.1"), 30000 + i), Inode = (ulong)(i + 1)
            });
        Assert.Equal(builds, source.Builds); // changes only mark it stale

        var next = source.Current;
        Assert.Equal(builds + 1, source.Builds);
        Assert.True(next.Version > first.Version);
        Assert.Single(next.ServersFor(IPAddress.Parse("198.18.2.1"), 2049, Transport.Tcp));
        Assert.Same(next, source.Current);
    }

    [Fact]
    public void Rule_and_vservice_changes_reach_the_next_snapshot()
    {
        var source = new RoutingSnapshotSource(_table, _rules, new AppSwitch.Agent.Kubernetes.KubernetesRegistry());
        Assert.False(source.Current.Rules.HasRoutes);
        _rules.Create(AppSwitch.Common.Rules.RuleReader.Read("- {id: r, destination: web, route: {backends: [{tags: [v1]}]}}", out _), out _, out _);
        Assert.True(source.Current.Rules.HasRoutes);

        var vservice = new VServiceEntry
        {
            Name = "db", VirtualIp = IPAddress.Parse("198.18.3.1"), Ports = new Dictionary<int, int> { [80] = 8080 },
            Backends = [IPAddress.Parse("198.18.3.2")]
        };
        Assert.True(_table.AddVService(vservice, out _));
        Assert.Same(vservice, source.Current.FindVService(IPAddress.Parse("198.18.3.1")));
        _table.RemoveVService("db", out _);
        Assert.Null(source.Current.FindVService(IPAddress.Parse("198.18.3.1")));
    }
}
