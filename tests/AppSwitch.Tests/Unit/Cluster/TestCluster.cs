using System.Collections.Concurrent;
using System.Net;
using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>A gossip node on 127.0.0.1 with its events recorded and a switch that drops all its traffic.</summary>
public sealed class TestMember
{
    public required GossipNode Node { get; init; }
    public ConcurrentQueue<MemberEvent> Events { get; } = new();
    public volatile bool Isolated;
    public Task? Reader;
    public string Name => Node.Name;
    public string Address => $"127.0.0.1:{Node.BoundPort}";

    public MemberInfo? View(string name) => Node.Member(name);
    public int AliveCount => Node.Members().Count(m => m.Status == MemberStatus.Alive);
    public IEnumerable<MemberEvent> EventsAbout(string name) => Events.Where(e => e.Member.Name == name);
}

/// <summary>Starts members with short intervals (about 5× faster than the LAN profile) and disposes them all.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private readonly List<TestMember> _members = [];

    public static GossipOptions FastOptions(string name, string cluster = "test", byte[]? key = null) => new()
    {
        NodeName = name,
        ClusterName = cluster,
        BindAddress = IPAddress.Loopback,
        BindPort = 0,
        ProbeInterval = TimeSpan.FromMilliseconds(200),
        ProbeTimeout = TimeSpan.FromMilliseconds(100),
        GossipInterval = TimeSpan.FromMilliseconds(50),
        PushPullInterval = TimeSpan.FromSeconds(2),
        ReconnectInterval = TimeSpan.FromSeconds(1),
        GossipToTheDeadTime = TimeSpan.FromSeconds(3),
        TcpTimeout = TimeSpan.FromSeconds(2),
        JoinRetryInitial = TimeSpan.FromMilliseconds(100),
        JoinRetryMax = TimeSpan.FromMilliseconds(400),
        EncryptionKey = key,
    };

    public IReadOnlyList<TestMember> Members => _members;

    public async Task<TestMember> StartAsync(GossipOptions options)
    {
        var holder = new StrongBox<TestMember?>();
        var filter = options.DropPacket;
        options.DropPacket = (direction, peer) => holder.Value?.Isolated == true || filter?.Invoke(direction, peer) == true;
        var node = await GossipNode.StartAsync(options);
        var member = new TestMember { Node = node };
        holder.Value = member;
        member.Reader = Task.Run(async () =>
        {
            await foreach (var e in node.Events.ReadAllAsync()) member.Events.Enqueue(e);
        });
        _members.Add(member);
        return member;
    }

    public Task<TestMember> StartAsync(string name) => StartAsync(FastOptions(name));

    /// <summary>Starts <paramref name="names"/>; each after the first joins through the first.</summary>
    public async Task<List<TestMember>> StartJoinedAsync(params string[] names)
    {
        var started = new List<TestMember>();
        foreach (var name in names)
        {
            var member = await StartAsync(name);
            if (started.Count > 0) Xunit.Assert.Equal(1, await member.Node.JoinAsync([started[0].Address]));
            started.Add(member);
        }
        await Eventually.UntilAsync(() => started.All(m => m.AliveCount == started.Count), Deadline,
            $"{started.Count} members to see each other", () => Describe(started));
        return started;
    }

    /// <summary>Disposes a member without leaving (a crash, to the others).</summary>
    public async Task CrashAsync(TestMember member)
    {
        await member.Node.DisposeAsync();
        _members.Remove(member);
    }

    public static string Describe(IEnumerable<TestMember> members) =>
        string.Join("\n", members.Select(m => $"{m.Name} sees: {string.Join("; ", m.Node.Members())}\n  {m.Node.Counters}"));

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_members.Select(m => m.Node.DisposeAsync().AsTask()));
        _members.Clear();
    }

    private sealed class StrongBox<T> { public T? Value; }
}
