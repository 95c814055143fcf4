using System.Text.Json;
using System.Text.RegularExpressions;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// The state file is written off the apps' session threads, a burst at a time; what an app was answered survives a
/// `kill -9` of the agent anyway (the write-ahead log, state.wal), and a burst of binds costs few writes.
/// </summary>
public sealed class StateDurabilityTests(ITestOutputHelper output)
{
    /// <summary>Test-only knob of the agent: every state file write waits this long (ms), so none lands before the kill.</summary>
    private const string NoStateWrites = "AX_STATE_TEST_WRITE_DELAY_MS=600000";

    [Fact]
    public async Task A_server_answered_just_before_the_agent_is_killed_is_served_by_the_next_agent()
    {
        await using var network = TestNetwork.Create(1);
        var agent = await AgentProcess.StartWithEnvironmentAsync(network, network.Nodes[0], [NoStateWrites]);
        var shell = new NodeShell(network, agent);
        var root = DocumentRoot(network.Temp, "www", ("index.html", "written ahead"));
        var web = shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: web);

        await agent.KillAsync();
        // The window is real: the state file the agent wrote at start-up has neither the app nor its server.
        var saved = await File.ReadAllTextAsync(Path.Combine(agent.AdminDir, "state.json"));
        Assert.DoesNotContain(VirtualIps.Server, saved);

        var restarted = await agent.RestartAsync(network);
        var after = new NodeShell(network, restarted);
        await after.WaitForServerAsync($"{VirtualIps.Server}:80", TimeSpan.FromSeconds(10));
        CommandResult? curl = null;
        await Eventually.UntilAsync(async () =>
        {
            curl = await after.RunUnderAxAsync([], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
            return curl.ExitCode == 0;
        }, TimeSpan.FromSeconds(10), "a curl of the server through the restarted agent", () => curl?.Describe() + restarted.Output);
        Assert.True(curl!.StdOut == "written ahead\n200", curl.Describe() + restarted.Output);
        output.WriteLine(restarted.Output);
    }

    [Fact]
    public async Task A_burst_of_200_binds_is_written_in_far_fewer_state_writes_and_the_file_ends_with_all_of_them()
    {
        await using var node = await SingleNode.StartAsync(output);
        var app = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", """
            import socket, sys, time
            held = []
            for i in range(200):
                s = socket.socket(); s.bind(("0.0.0.0", 20000 + i)); held.append(s)
            print("bound", len(held), flush=True)
            time.sleep(600)
            """]);
        await app.WaitForOutputAsync(o => o.Contains("bound 200"), TimeSpan.FromSeconds(60), "the app's 200 binds");

        var statePath = Path.Combine(node.Agent.AdminDir, "state.json");
        await Eventually.UntilAsync(() => SavedSocketCount(statePath) == 200, TimeSpan.FromSeconds(10),
            "state.json to list the 200 bound sockets", () => File.ReadAllText(statePath));
        var writes = Regex.Matches(node.Agent.Output, "State file written at revision").Count;
        output.WriteLine($"state file writes: {writes} (one at start-up) for 200 binds");
        Assert.True(writes is > 1 and < 40, $"{writes} state writes for 200 binds\n{node.Agent.Output}");
    }

    private static int SavedSocketCount(string path)
    {
        try
        {
            using var state = JsonDocument.Parse(File.ReadAllBytes(path));
            return state.RootElement.GetProperty("sockets").GetArrayLength();
        }
        catch (Exception e) when (e is IOException or JsonException) { return -1; }
    }
}
