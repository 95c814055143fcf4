using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// A DaemonSet rolling update (or a crash) replaces the agent, not the workloads: after `kill -9` and a new
/// agent on the same socket dir, established connections live on, servers are back in the table, calls
/// made while no agent ran waited instead of failing, and new connections work.
/// </summary>
public sealed class AgentRestartTests(ITestOutputHelper output)
{
    private const string EchoIp = "198.18.0.3";

    [Fact]
    public async Task Apps_keep_their_connections_and_servers_when_the_agent_is_killed_and_restarted()
    {
        await using var node = await SingleNode.StartAsync(output);
        var temp = node.Network.Temp.Path;
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "still here"));
        var web = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        var echo = node.Shell.StartUnderAx(["--ip", EchoIp], ["socat", "TCP-LISTEN:7000,fork,reuseaddr", "EXEC:cat"]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: web);
        await node.Shell.WaitForServerAsync($"{EchoIp}:7000", server: echo);

        // One connection held open across the restart, and a client that keeps connecting throughout.
        var release = Path.Combine(temp, "release");
        var held = node.Shell.StartUnderAx([], ["python3", "-c", HeldConnectionClient, EchoIp, "7000", release]);
        await held.WaitForOutputAsync(o => o.Contains("echo before"), TimeSpan.FromSeconds(20), "the held connection's first echo");
        var stop = Path.Combine(temp, "stop-loop");
        var loop = node.Shell.StartUnderAx(["--ip", VirtualIps.Client], ["bash", "-c", LoopClient(stop)]);
        await loop.WaitForOutputAsync(o => CountOk(o) >= 3, TimeSpan.FromSeconds(20), "the client loop's first requests");

        await node.Agent.KillAsync();
        var okWhileDown = CountOk(loop.StdOut);
        var restarted = await node.Agent.RestartAsync(node.Network);
        var shell = new NodeShell(node.Network, restarted);

        // A new app connecting after the new agent answers /healthz (how soon is the bench's business).
        CommandResult? fresh = null;
        await Eventually.UntilAsync(async () =>
        {
            fresh = await shell.RunUnderAxAsync([], CurlStatus($"http://{VirtualIps.Server}/"));
            return fresh.ExitCode == 0 && fresh.StdOut == "200";
        }, TimeSpan.FromSeconds(10), "a new connection through the restarted agent", () => fresh?.Describe() + restarted.Output);

        await shell.WaitForServerAsync($"{VirtualIps.Server}:80", TimeSpan.FromSeconds(5));
        await shell.WaitForServerAsync($"{EchoIp}:7000", TimeSpan.FromSeconds(5));

        File.WriteAllText(release, "");
        var heldResult = await held.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(heldResult.ExitCode == 0 && heldResult.StdOut.Contains("echo after"), heldResult.Describe());

        await loop.WaitForOutputAsync(o => CountOk(o) >= okWhileDown + 5, TimeSpan.FromSeconds(20), "the client loop going on after the restart");
        File.WriteAllText(stop, "");
        var loopResult = await loop.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(loopResult.ExitCode == 0 && !loopResult.StdOut.Contains("fail"), loopResult.Describe() + restarted.Output);
    }

    [Fact]
    public async Task Clean_start_forgets_the_previous_agents_apps()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "x"));
        var web = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: web);

        await node.Agent.KillAsync();
        var restarted = await node.Agent.RestartAsync(node.Network, "--clean");
        var shell = new NodeShell(node.Network, restarted);
        Assert.Empty(await shell.GetAsync<AppSwitch.Common.Model.AppRecord>());
        Assert.Empty(await shell.GetAsync<AppSwitch.Common.Model.ServerRecord>());
    }

    [Fact]
    public async Task A_blocking_connect_in_flight_when_the_agent_dies_is_finished_by_the_next_one()
    {
        await using var node = await SingleNode.StartAsync(output);
        // Nobody has this address on the node's link: the connect waits for ARP (about 3 s), then fails.
        const string nobody = "10.77.0.99";
        var client = node.Shell.StartUnderAx([], ["python3", "-c", BlockingConnectClient, nobody, "80"]);
        await client.WaitForOutputAsync(o => o.Contains("connecting"), TimeSpan.FromSeconds(20), "the client to start connecting");
        await Eventually.UntilAsync(() => JournaledConnects(node.Agent) > 0,
            TimeSpan.FromSeconds(10), "the agent to take the connect (a connect in its journal)", () => node.Agent.Output);

        await node.Agent.KillAsync();
        var restarted = await node.Agent.RestartAsync(node.Network);

        // Without the journal the thread would wait forever: the kernel never hands a received call out again.
        var result = await client.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(result.StdOut.Contains("errno 113"), result.Describe() + restarted.Output); // EHOSTUNREACH
        Assert.Equal(0, JournaledConnects(restarted));
    }

    /// <summary>Calls recorded in the agent's `inflight.journal` (README: the admin dir) that are connects:
    /// 128-byte slots, id (non-zero when taken) at 0, syscall number at 20.</summary>
    private static int JournaledConnects(AgentProcess agent)
    {
        const int connect = 42; // x86_64
        var journal = File.ReadAllBytes(Path.Combine(agent.AdminDir, "inflight.journal"));
        var count = 0;
        for (var slot = 0; slot + 128 <= journal.Length; slot += 128)
            if (BitConverter.ToUInt64(journal, slot) != 0 && BitConverter.ToInt32(journal, slot + 20) == connect) count++;
        return count;
    }

    private const string BlockingConnectClient = """
        import socket, sys
        s = socket.socket()
        print("connecting", flush=True)
        try:
            s.connect((sys.argv[1], int(sys.argv[2]))); print("connected", flush=True)
        except OSError as e:
            print("errno", e.errno, flush=True)
        """;

    private static int CountOk(string output) => output.Split('\n').Count(l => l == "ok");

    private static string LoopClient(string stopFile) =>
        $"while [ ! -e '{stopFile}' ]; do if curl -s -m 5 -o /dev/null http://{VirtualIps.Server}/; then echo ok; else echo fail; fi; sleep 0.05; done";

    private const string HeldConnectionClient = """
        import os, socket, sys, time
        host, port, release = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(b"before\n"); print("echo", s.recv(100).decode().strip(), flush=True)
        while not os.path.exists(release): time.sleep(0.05)
        s.sendall(b"after\n"); print("echo", s.recv(100).decode().strip(), flush=True)
        """;
}
