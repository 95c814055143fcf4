using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>`ax daemon`: its flags, its health endpoint, its shutdown.</summary>
public sealed class DaemonTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("--no-such-flag")]
    [InlineData("--ports", "not-a-range")]
    [InlineData("--rest-port", "70000")]
    public async Task Bad_flag_or_value_exits_2_with_one_line(params string[] bad)
    {
        await using var network = TestNetwork.Create(1);
        var node = network.Nodes[0];
        var socketDir = network.Temp.NewSubdirectory("daemon");
        var result = await new NodeShell(network, node, socketDir).RunAsync(
            [RepoLayout.RequireAx(), "daemon", "--socket-dir", socketDir, "--node-interface", node.Interface, .. bad],
            TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 2, result.Describe());
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr: " + result.Describe());
        Assert.Contains(bad[0].TrimStart('-'), lines[0]);
    }

    [Fact]
    public async Task Healthz_answers_on_the_rest_port_and_sigterm_stops_the_daemon()
    {
        await using var node = await SingleNode.StartAsync(output);
        var health = await node.Shell.RunAsync(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
            $"{node.Agent.RestUrl}/healthz"]);
        Assert.True(health.ExitCode == 0 && health.StdOut == "200", health.Describe());

        var exit = await node.Agent.StopAsync();
        Assert.True(exit == 0, $"`ax daemon` exit code after SIGTERM: {exit?.ToString() ?? "(killed)"}\n{node.Agent.Output}");
    }
}
