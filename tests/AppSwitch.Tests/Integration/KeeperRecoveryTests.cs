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
        var keeper = await KeeperPidAsync(restarted);
        Assert.True(IsAlive(keeper), $"the keeper (pid {keeper}) runs while the app does");

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

    [Fact]
    public async Task A_launcher_naming_another_apps_keeper_as_its_own_is_not_believed()
    {
        await using var node = await SingleNode.StartAsync(output);
        var victim = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], ["python3", "-c", FdClosingServer, "80"]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: victim);
        var victimsKeeper = await KeeperPidAsync(node.Agent);
        var reclaimFd = await ReclaimFdAsync(node.Agent);

        // A launcher of its own making (any member of the socket's group can speak the protocol) hands over a listener
        // of its own and names the victim's keeper as its keeper: after a restart the agent would take the victim's
        // listener for it (once the forger closed its own copy) if it believed the pid.
        var forger = node.Shell.Start("python3", "-c", ForgingLauncher, node.Agent.LauncherSocket, reclaimFd.ToString(), victimsKeeper.ToString());
        await forger.WaitForOutputAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the forging launcher's READY");
        await Eventually.UntilAsync(() => node.Agent.Output.Contains($"pid {victimsKeeper}, named as its keeper, does not hold its listener at fd {reclaimFd}; ignored"),
            TimeSpan.FromSeconds(10), "the agent's warning about the forged keeper", () => node.Agent.Output);
        await Eventually.UntilAsync(() => SavedKeeperPids(node.Agent).Count == 2, TimeSpan.FromSeconds(10), "both apps in state.json",
            () => File.ReadAllText(Path.Combine(node.Agent.AdminDir, "state.json")));
        Assert.Equal([victimsKeeper], SavedKeeperPids(node.Agent).Where(p => p > 0));
    }

    /// <summary>keeperPid of each app in state.json (0: none).</summary>
    private static List<int> SavedKeeperPids(AgentProcess agent)
    {
        try
        {
            using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(agent.AdminDir, "state.json")));
            return state.RootElement.GetProperty("apps").EnumerateArray()
                .Select(a => a.TryGetProperty("keeperPid", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0).ToList();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return [];
        }
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

    /// <summary>Speaks the launcher protocol itself: a seccomp listener of its own (a filter that allows everything)
    /// at the victim's reclaim fd number, and the victim's keeper pid in the LISTENER payload.</summary>
    private const string ForgingLauncher = """
        import ctypes, os, socket, struct, sys, time
        path, reclaim, keeper = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        libc = ctypes.CDLL(None, use_errno=True)
        class Insn(ctypes.Structure): _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
        class Prog(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Insn))]
        allow = (Insn * 1)(Insn(0x06, 0, 0, 0x7fff0000))
        assert libc.prctl(38, 1, 0, 0, 0) == 0  # no_new_privs
        listener = libc.syscall(317, 1, 8, ctypes.byref(Prog(1, allow)))  # SECCOMP_SET_MODE_FILTER, NEW_LISTENER
        assert listener >= 0, ctypes.get_errno()
        os.dup2(listener, reclaim)
        def frame(kind, payload): return struct.pack("<IB", 1 + len(payload), kind) + payload
        def text(s): return struct.pack("<I", len(s)) + s.encode()
        args = ["--ip", "198.18.0.3", "--", "sleep", "600"]
        run = bytes([1]) + struct.pack("<I", len(args)) + b"".join(text(a) for a in args) + struct.pack("<I", 0)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.sendall(frame(1, run))
        def read_frame():
            n = struct.unpack("<I", s.recv(4, socket.MSG_WAITALL))[0]
            body = s.recv(n, socket.MSG_WAITALL)
            return body[0], body[1:]
        kind, _ = read_frame(); assert kind == 2, kind
        s.sendmsg([frame(3, struct.pack("<III", reclaim, 0, keeper))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", listener))])
        kind, _ = read_frame(); assert kind == 4, kind
        print("ready", flush=True)
        time.sleep(600)
        """;

    private const string PidfdGetfdAttack = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        pidfd = os.pidfd_open(int(sys.argv[1]))
        r = libc.syscall(438, pidfd, int(sys.argv[2]), 0)  # pidfd_getfd
        print("errno", ctypes.get_errno() if r < 0 else "none: got fd %d" % r)
        """;
}
