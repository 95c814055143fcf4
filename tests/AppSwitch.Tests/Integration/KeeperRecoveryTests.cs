using System.Text.Json;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// An app that closes every fd it inherited (daemons do: `closefrom(3)`) also closes the listener copy the launcher
/// left in it for a restarted agent. The launcher's keeper (native-shims/keeper.c) holds the same copy outside the
/// app: the agent is killed and restarted, and the app is still served; once the app ends the keeper ends too.
/// </summary>
public sealed class KeeperRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_app_that_closed_every_inherited_fd_is_recovered_from_its_keeper_after_an_agent_restart()
    {
        await using var node = await SingleNode.StartAsync(output);
        var web = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", FdClosingServer, "80"]);
        await web.WaitForOutputAsync(o => o.Contains("closed"), TimeSpan.FromSeconds(30), "the server to close its inherited fds");
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: web);
        var keeper = await KeeperPidAsync(node.Agent);
        Assert.True(IsAlive(keeper), $"the keeper (pid {keeper}) runs while the app does");

        await node.Agent.KillAsync();
        var restarted = await node.Agent.RestartAsync(node.Network);
        var shell = new NodeShell(node.Network, restarted);

        CommandResult? fetched = null;
        await Eventually.UntilAsync(async () =>
        {
            fetched = await shell.RunUnderAxAsync([], ["curl", "-s", "-m", "5", $"http://{VirtualIps.Server}/"]);
            return fetched.ExitCode == 0 && fetched.StdOut == "kept";
        }, TimeSpan.FromSeconds(20), "the fd-closing server through the restarted agent",
            () => fetched?.Describe() + web.Describe() + restarted.Output);
        Assert.Contains("Restored 1 of 1 apps", restarted.Output);

        // The keeper waits for its listener's POLLHUP: every task of the app gone.
        await web.StopAsync(TimeSpan.FromSeconds(2));
        await Eventually.UntilAsync(() => !IsAlive(keeper), TimeSpan.FromSeconds(20), $"the keeper (pid {keeper}) to exit after the app");
    }

    [Fact]
    public async Task The_keeper_runs_without_capabilities_and_another_app_cannot_take_its_fds()
    {
        await using var node = await SingleNode.StartAsync(output);
        var web = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", FdClosingServer, "80"]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: web);
        var keeper = await KeeperPidAsync(node.Agent);
        var reclaimFd = await ReclaimFdAsync(node.Agent);

        var status = File.ReadAllText($"/proc/{keeper}/status");
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
            Assert.Contains($"{set}:\t0000000000000000", status);
        Assert.Contains("NoNewPrivs:\t1", status);

        // An app (root, like the launcher here) asks the kernel for the keeper's listener copy: the keeper is not
        // dumpable and the app has no CAP_SYS_PTRACE, so pidfd_getfd is refused.
        var attack = await node.Shell.RunUnderAxAsync([], ["python3", "-c", PidfdGetfdAttack, keeper.ToString(), reclaimFd.ToString()]);
        Assert.True(attack.ExitCode == 0 && attack.StdOut.Trim() == "errno 1", attack.Describe());
    }

    private static async Task<int> KeeperPidAsync(AgentProcess agent) => await SavedAppFieldAsync(agent, "keeperPid");

    private static async Task<int> ReclaimFdAsync(AgentProcess agent) => await SavedAppFieldAsync(agent, "reclaimFd");

    /// <summary>A number field of the one app in the agent's state.json (written off the changing thread).</summary>
    private static async Task<int> SavedAppFieldAsync(AgentProcess agent, string field)
    {
        var path = Path.Combine(agent.AdminDir, "state.json");
        var value = 0;
        await Eventually.UntilAsync(() =>
        {
            try
            {
                using var state = JsonDocument.Parse(File.ReadAllText(path));
                var apps = state.RootElement.GetProperty("apps");
                value = apps.GetArrayLength() == 1 && apps[0].TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
            }
            catch (Exception e) when (e is IOException or JsonException) { value = 0; }
            return value > 0;
        }, TimeSpan.FromSeconds(10), $"{field} of the app in {path}", () => File.Exists(path) ? File.ReadAllText(path) : "(no state.json)");
        return value;
    }

    /// <summary>Alive and not a zombie (a keeper reparented to a pid 1 that does not reap would stay one).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Listens, then closes every fd but stdio and its listener (the launcher's reclaim copies too), then
    /// answers each connection with "kept".</summary>
    private const string FdClosingServer = """
        import os, socket, sys
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[1])))
        s.listen(16)
        keep = s.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 20)
        print("closed; left:", sorted(int(f) for f in os.listdir("/proc/self/fd")), flush=True)
        while True:
            c, _ = s.accept()
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nkept")
            c.close()
        """;

    private const string PidfdGetfdAttack = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        pidfd = os.pidfd_open(int(sys.argv[1]))
        r = libc.syscall(438, pidfd, int(sys.argv[2]), 0)  # pidfd_getfd
        print("errno", ctypes.get_errno() if r < 0 else "none: got fd %d" % r)
        """;
}
