using Xunit.Abstractions;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// A one-node test network whose agent runs the Kubernetes adapters against the API server stand-in. The stand-in
/// serves HTTPS on a Unix socket in the network's temp directory; socat in the node's namespace forwards the node's
/// 127.0.0.1:6443 to it (a namespace cannot reach the test's loopback). The agent finds it through a kubeconfig
/// with the stand-in's CA and token, as a user's would.
/// </summary>
public sealed class KubernetesNode : IAsyncDisposable
{
    public const int ApiPort = 6443;

    private readonly ITestOutputHelper? _output;

    public TestNetwork Network { get; }
    public FakeKubeApiServer Api { get; }
    public AgentProcess Agent { get; }
    public NodeShell Shell { get; }
    public TestNode Node => Agent.Node;

    private KubernetesNode(TestNetwork network, FakeKubeApiServer api, AgentProcess agent, ITestOutputHelper? output)
    {
        Network = network;
        Api = api;
        Agent = agent;
        Shell = new NodeShell(network, agent);
        _output = output;
    }

    public static async Task<KubernetesNode> StartAsync(ITestOutputHelper? output, params string[] agentFlags)
    {
        var network = TestNetwork.Create(1);
        FakeKubeApiServer? api = null;
        try
        {
            var socket = Path.Combine(network.Temp.Path, "kube-api.sock");
            api = await FakeKubeApiServer.StartAsync(socket);
            var node = network.Nodes[0];
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
            var agent = await AgentProcess.StartAsync(network, node, AgentProcess.DefaultRestPort, ["--kubeconfig", kubeconfig, .. agentFlags]);
            return new KubernetesNode(network, api, agent, output);
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
        try { _output?.WriteLine(Agent.Output); } catch (InvalidOperationException) { }
        await Network.DisposeAsync();
        await Api.DisposeAsync();
    }
}
