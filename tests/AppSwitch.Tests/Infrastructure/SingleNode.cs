using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// The usual integration setup: a one-node test network with a running agent and a shell on the
/// node. Disposing writes the agent's log to the test output and removes everything.
/// </summary>
public sealed class SingleNode : IAsyncDisposable
{
    private readonly ITestOutputHelper? _output;

    public TestNetwork Network { get; }
    public TestNode Node => Agent.Node;
    public AgentProcess Agent { get; }
    public NodeShell Shell { get; }

    private SingleNode(TestNetwork network, AgentProcess agent, ITestOutputHelper? output)
    {
        Network = network;
        Agent = agent;
        Shell = new NodeShell(network, agent);
        _output = output;
    }

    public static async Task<SingleNode> StartAsync(ITestOutputHelper? output = null, params string[] agentFlags)
    {
        var network = TestNetwork.Create(1);
        try
        {
            var agent = await AgentProcess.StartAsync(network, network.Nodes[0], AgentProcess.DefaultRestPort, agentFlags);
            return new SingleNode(network, agent, output);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>A node with a python http.server under ax at <see cref="VirtualIps.Server"/>:80 serving one page.</summary>
    public static async Task<SingleNode> StartWithHttpServerAsync(ITestOutputHelper? output, string page = "x")
    {
        var node = await StartAsync(output);
        try
        {
            var root = DocumentRoot(node.Network.Temp, "www", ("index.html", page));
            var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
            await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Agent log for assertion messages.</summary>
    public string Diagnostics() => Agent.Output;

    public async ValueTask DisposeAsync()
    {
        try { _output?.WriteLine(Agent.Output); } catch (InvalidOperationException) { }
        await Network.DisposeAsync();
    }
}
