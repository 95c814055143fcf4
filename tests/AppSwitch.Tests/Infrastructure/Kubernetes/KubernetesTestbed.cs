using Xunit.Abstractions;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// A test network (one node unless told) whose agents run the Kubernetes adapters against the API server stand-in. The stand-in
/// serves HTTPS on a Unix socket in the network's temp directory; socat in the node's namespace forwards the node's
/// 127.0.0.1:6443 to it (a namespace cannot reach the test's loopback). The agent finds it through a kubeconfig
/// with the stand-in's CA and token, as a user's would.
/// </summary>
public sealed class KubernetesTestbed : IAsyncDisposable
{
    public const int ApiPort = 6443;

    private readonly ITestOutputHelper? _output;

    public TestNetwork Network { get; }
    public FakeKubeApiServer Api { get; }
    public IReadOnlyList<AgentProcess> Agents { get; }
    /// <summary>The first node's agent, shell and node.</summary>
    public AgentProcess Agent => Agents[0];
    public NodeShell Shell { get; }
    public TestNode Node => Agent.Node;

    private KubernetesTestbed(TestNetwork network, FakeKubeApiServer api, AgentProcess[] agents, ITestOutputHelper? output)
    {
        Network = network;
        Api = api;
        Agents = agents;
        Shell = new NodeShell(network, agents[0]);
        _output = output;
    }

    public static Task<KubernetesTestbed> StartAsync(ITestOutputHelper? output, params string[] agentFlags) =>
        StartAsync(output, 1, agentFlags);

    public static Task<KubernetesTestbed> StartAsync(ITestOutputHelper? output, int nodeCount, params string[] agentFlags) =>
        StartAsync(output, nodeCount, _ => { }, agentFlags);

    /// <summary>As above; <paramref name="beforeAgents"/> sets the API server up before any agent asks it (e.g. forbids a collection).</summary>
    public static async Task<KubernetesTestbed> StartAsync(ITestOutputHelper? output, int nodeCount, Action<FakeKubeApiServer> beforeAgents,
        params string[] agentFlags)
    {
        var network = TestNetwork.Create(nodeCount);
        FakeKubeApiServer? api = null;
        try
        {
            var socket = Path.Combine(network.Temp.Path, "kube-api.sock");
            api = await FakeKubeApiServer.StartAsync(socket);
            beforeAgents(api);
            foreach (var node in network.Nodes)
                network.Own(RunningProcess.Start("ip", node.Exec("socat", $"TCP-LISTEN:{ApiPort},bind=127.0.0.1,fork,reuseaddr", $"UNIX-CONNECT:{socket}")));
            network.Temp.WriteFile("kube/ca.pem", api.AuthorityPem);
            var kubeconfig = network.Temp.WriteFile("kube/config", $$"""
                apiVersion: v1
                kind: Config
                current-context: test
                clusters:
                - name: stand-in
                  cluster: {server: "https://127.0.0.1:{{ApiPort}}", certificate-authority: ca.pem}
                users:
                - name: agent
                  user: {token: {{api.Token}}}
                contexts:
                - name: test
                  context: {cluster: stand-in, user: agent}
                """);
            var agents = await Task.WhenAll(network.Nodes.Select(node =>
                AgentProcess.StartAsync(network, node, AgentProcess.DefaultRestPort, ["--kubeconfig", kubeconfig, .. agentFlags])));
            return new KubernetesTestbed(network, api, agents, output);
        }
        catch
        {
            if (api is not null) await api.DisposeAsync();
            await network.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in Agents)
            try { _output?.WriteLine(agent.Output); } catch (InvalidOperationException) { }
        await Network.DisposeAsync();
        await Api.DisposeAsync();
    }
}
