using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Three agents in three node namespaces (n1…n3, 10.77.0.11–13) forming one cluster: each is started with
/// `--neighbors` naming all three (itself included), the same `--gossip-key` and `--cluster`, on the default
/// gossip port. Optional extra nodes (n4, …) get no agent; a test starts one there with other settings.
/// Disposing writes every agent's log to the test output and removes everything.
/// </summary>
public sealed class ThreeNodeCluster : IAsyncDisposable
{
    public const int Size = 3;
    public const string ClusterName = "axtest";
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    private readonly ITestOutputHelper? _output;
    private readonly List<AgentProcess> _everyAgent = [];
    private string[] _agentFlags = [];

    public TestNetwork Network { get; }
    /// <summary>The members' agents, index 0 = n1; replaced by <see cref="StartAgentAsync"/> on a restart.</summary>
    public AgentProcess[] Agents { get; } = new AgentProcess[Size];
    public string Key { get; }
    /// <summary>Addresses of n1…n3, as `--neighbors` takes them.</summary>
    public string Neighbors { get; }

    private ThreeNodeCluster(TestNetwork network, ITestOutputHelper? output)
    {
        Network = network;
        _output = output;
        Key = NewKey();
        Neighbors = string.Join(",", network.Nodes.Take(Size).Select(n => n.Address));
    }

    /// <summary>Membership changes the agents log ("Member n2: Suspect"), one match per event.</summary>
    public static readonly Regex MembershipTrouble = new(@"Member n\d: (Suspect|Dead|Left)", RegexOptions.Compiled);

    /// <summary>A fresh `--gossip-key` (32 random bytes, base64), as `head -c 32 /dev/urandom | base64` makes.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Creates 3 + <paramref name="extraNodes"/> nodes and starts the three members' agents.</summary>
    /// <param name="agentFlags">More `ax daemon` flags for every agent of the cluster.</param>
    public static Task<ThreeNodeCluster> StartAsync(ITestOutputHelper? output, int extraNodes = 0, params string[] agentFlags) =>
        StartWithEnvironmentAsync(output, _ => null, extraNodes, agentFlags);

    /// <summary>As <see cref="StartAsync"/>; member i's agent gets the environment variables (`NAME=value`) of
    /// <paramref name="environmentOf"/>(i) (test-only knobs).</summary>
    public static async Task<ThreeNodeCluster> StartWithEnvironmentAsync(ITestOutputHelper? output, Func<int, string[]?> environmentOf,
        int extraNodes = 0, params string[] agentFlags)
    {
        var network = TestNetwork.Create(Size + extraNodes);
        var cluster = new ThreeNodeCluster(network, output) { _agentFlags = agentFlags };
        try
        {
            var agents = await Task.WhenAll(network.Nodes.Take(Size).Select((n, i) => cluster.StartAgentAsync(n, environment: environmentOf(i))));
            agents.CopyTo(cluster.Agents, 0);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>As the key of <see cref="StartAgentAsync"/>: start that agent without `--gossip-key` (clear-text gossip).</summary>
    public const string NoKey = "";

    /// <summary>The cluster flags of an agent: these neighbors, and this cluster's key and name unless told otherwise.</summary>
    public string[] GossipFlags(string? key = null, string? cluster = null) =>
        ["--neighbors", Neighbors, .. key == NoKey ? Array.Empty<string>() : ["--gossip-key", key ?? Key], "--cluster", cluster ?? ClusterName, .. _agentFlags];

    /// <summary>Starts an agent on <paramref name="node"/> with <see cref="GossipFlags"/>; a member's slot is updated.</summary>
    public async Task<AgentProcess> StartAgentAsync(TestNode node, string? key = null, string? cluster = null, string[]? environment = null)
    {
        var agent = environment is null
            ? await AgentProcess.StartAsync(Network, node, AgentProcess.DefaultRestPort, GossipFlags(key, cluster))
            : await AgentProcess.StartWithEnvironmentAsync(Network, node, environment, GossipFlags(key, cluster));
        lock (_everyAgent) _everyAgent.Add(agent);
        var index = IndexOf(node);
        if (index < Size) Agents[index] = agent;
        return agent;
    }

    public int IndexOf(TestNode node) => Network.Nodes.ToList().IndexOf(node);

    public NodeShell Shell(int index) => new(Network, Agents[index]);
    public NodeShell Shell(AgentProcess agent) => new(Network, agent);

    /// <summary>The members as `ax get nodes -o json` lists them on <paramref name="agent"/>'s node (GET /api/v1/nodes on its api.sock).</summary>
    public Task<List<NodeRecord>> NodesAsync(AgentProcess agent) => AgentApi.ListAsync<NodeRecord>(agent.ApiSocket);

    /// <summary>`GET /api/v1/cluster/stats` on the agent's api.sock.</summary>
    public static async Task<ClusterStats> StatsAsync(AgentProcess agent)
    {
        using var http = UnixSocketHttp.Create(agent.ApiSocket, TimeSpan.FromSeconds(5));
        return await http.GetFromJsonAsync("/api/v1/cluster/stats", ApiJsonContext.Default.ClusterStats)
               ?? throw new Xunit.Sdk.XunitException("GET /api/v1/cluster/stats answered null");
    }

    /// <summary>The state of every member as <paramref name="agent"/> lists it, e.g. "n1=alive n2=alive n3=dead".</summary>
    public static string Describe(IEnumerable<NodeRecord> nodes) =>
        string.Join(" ", nodes.OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => $"{n.Name}={n.State}"));

    /// <summary>Waits until every agent in <paramref name="observers"/> lists n1…n3 alive; returns how long it took.</summary>
    public Task<TimeSpan> AwaitAllAliveAsync(TimeSpan? timeout = null, IEnumerable<AgentProcess>? observers = null)
    {
        var names = Network.Nodes.Take(Size).Select(n => n.Name).ToHashSet();
        var lastSeen = new Dictionary<string, string>();
        var agents = (observers ?? Agents).ToList();
        return Eventually.UntilAsync(async () =>
        {
            var ok = true;
            foreach (var agent in agents)
            {
                var nodes = await NodesAsync(agent);
                lastSeen[agent.Node.Name] = Describe(nodes);
                ok &= names.All(name => nodes.Any(n => n.Name == name && n.State == "alive"));
            }
            return ok;
        }, timeout ?? JoinTimeout, $"{string.Join(",", agents.Select(a => a.Node.Name))} to list {string.Join(",", names)} alive",
            () => string.Join("\n", lastSeen.Select(kv => $"{kv.Key} sees {kv.Value}")) + "\n" + Logs());
    }

    /// <summary>Server entries that <paramref name="agent"/> lists for <paramref name="serviceAddr"/>, by node.</summary>
    public async Task<List<ServerRecord>> ServersAsync(AgentProcess agent, string serviceAddr) =>
        (await Shell(agent).GetAsync<ServerRecord>()).Where(s => s.ServiceAddr == serviceAddr).ToList();

    /// <summary>The tail of every agent's log (for assertion messages).</summary>
    public string Logs(int tailChars = 6000)
    {
        List<AgentProcess> agents;
        lock (_everyAgent) agents = [.. _everyAgent];
        return string.Join("\n", agents.Select(a =>
        {
            var log = a.Output;
            return $"===== agent on {a.Node.Name} (pid {a.Pid}) =====\n" + (log.Length > tailChars ? "…" + log[^tailChars..] : log);
        }));
    }

    public async ValueTask DisposeAsync()
    {
        try { _output?.WriteLine(Logs(20000)); } catch (InvalidOperationException) { }
        await Network.DisposeAsync();
    }
}
