using System.Text.RegularExpressions;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 20 point 2: an app that makes no trapped call for --session-park-delay gives back its session thread (the
/// agent's threads named app-*) and waits on the shared parking thread. What a user must not notice: every later
/// call is answered as before, a parked app that exits is removed, the agent stops promptly and a restarted agent
/// takes parked apps back.
/// </summary>
public sealed partial class SessionParkingTests(ITestOutputHelper output)
{
    private static readonly string[] ShortDelay = ["--session-park-delay", "300ms"];
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_app_idle_past_the_park_delay_has_its_connect_getpeername_bind_and_listen_answered()
    {
        await using var node = await SingleNode.StartAsync(output, ShortDelay);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "parked"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        var go1 = Path.Combine(node.Network.Temp.Path, "go1");
        var go2 = Path.Combine(node.Network.Temp.Path, "go2");
        var done = Path.Combine(node.Network.Temp.Path, "done");
        var client = node.Shell.StartUnderAx(["--ip", VirtualIps.Client], ["python3", "-c", IdleClient, VirtualIps.Server, "80", go1, go2, done]);
        await client.WaitForOutputAsync(o => o.Contains("ready"), Wait, "the client to start");

        await AwaitAllParkedAsync(node, 2);
        File.WriteAllText(go1, "");
        await client.WaitForOutputAsync(o => o.Contains("first"), Wait, "the first request after parking");
        Assert.Contains($"first {VirtualIps.Server} 80 HTTP/1.0 200 OK", client.StdOut);

        // Parked again after that call (the listener is watched anew at every park): the next calls are answered too.
        await AwaitAllParkedAsync(node, 2);
        File.WriteAllText(go2, "");
        await node.Shell.WaitForServerAsync($"{VirtualIps.Client}:9000", Wait, client);
        File.WriteAllText(done, "");
        var result = await client.WaitForExitAsync(Wait);
        Assert.True(result.ExitCode == 0 && result.StdOut.Contains($"second {VirtualIps.Server} 80 HTTP/1.0 200 OK"),
            result.Describe() + node.Agent.Output);
    }

    [Fact]
    public async Task An_app_that_exits_while_parked_is_removed_with_its_servers()
    {
        await using var node = await SingleNode.StartAsync(output, ShortDelay);
        var release = Path.Combine(node.Network.Temp.Path, "release");
        var app = node.Shell.StartUnderAx(["--ip", VirtualIps.Server, "--name", "parked-server"], ["python3", "-c", IdleServer, "7000", release]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:7000", server: app);
        await AwaitAllParkedAsync(node, 1);

        File.WriteAllText(release, "");
        var exited = await app.WaitForExitAsync(Wait);
        Assert.True(exited.ExitCode == 0, exited.Describe());
        await Eventually.UntilAsync(async () => (await node.Shell.GetAsync<AppRecord>()).Count == 0 && (await node.Shell.GetAsync<ServerRecord>()).Count == 0,
            Wait, "the parked app and its server to leave `ax get apps` and `ax get servers`", () => node.Agent.Output);
        Assert.Equal((0, 0), await SessionsAsync(node));
    }

    [Fact]
    public async Task The_agent_stops_promptly_with_parked_sessions()
    {
        await using var node = await SingleNode.StartAsync(output, ShortDelay);
        var release = Path.Combine(node.Network.Temp.Path, "release");
        for (var i = 0; i < 3; i++)
            node.Shell.StartUnderAx(["--ip", $"198.18.0.{10 + i}"], ["python3", "-c", IdleServer, "7000", release]);
        for (var i = 0; i < 3; i++) await node.Shell.WaitForServerAsync($"198.18.0.{10 + i}:7000");
        await AwaitAllParkedAsync(node, 3);

        // SIGTERM; StopAsync sends SIGKILL after its grace (5 s), which would show as exit code 137.
        var exitCode = await node.Agent.StopAsync();
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{node.Agent.Output}");
        File.WriteAllText(release, "");
    }

    [Fact]
    public async Task A_restarted_agent_takes_back_parked_apps_and_parks_them_again()
    {
        await using var node = await SingleNode.StartAsync(output, ShortDelay);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "x"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);
        await AwaitAllParkedAsync(node, 1);

        await node.Agent.KillAsync();
        var restarted = await node.Agent.RestartAsync(node.Network);
        var shell = new NodeShell(node.Network, restarted);
        await shell.WaitForServerAsync($"{VirtualIps.Server}:80", Wait);
        await AwaitAllParkedAsync(restarted, 1);

        var fetched = await shell.RunUnderAxAsync([], CurlStatus($"http://{VirtualIps.Server}/"));
        Assert.True(fetched.ExitCode == 0 && fetched.StdOut == "200", fetched.Describe() + restarted.Output);
    }

    [Fact]
    public async Task Two_hundred_idle_apps_leave_the_agent_with_no_thread_of_their_own()
    {
        const int Apps = 200;
        await using var node = await SingleNode.StartAsync(output, ShortDelay);
        var threadsBefore = Directory.GetDirectories($"/proc/{node.Agent.Pid}/task").Length;
        // Every app blocks opening a FIFO for reading until the test opens it for writing: one shell process each, no poll.
        var release = Path.Combine(node.Network.Temp.Path, "release");
        CommandRunner.Run("mkfifo", release).EnsureSuccess();
        for (var i = 0; i < Apps; i++)
            node.Shell.StartUnderAx(["--ip", $"198.18.{10 + i / 250}.{1 + i % 250}"], ["sh", "-c", $"read line < {release}"]);
        await Eventually.UntilAsync(async () => (await node.Shell.GetAsync<AppRecord>()).Count == Apps,
            TimeSpan.FromMinutes(5), $"{Apps} apps in `ax get apps`", () => node.Agent.Output);
        await AwaitAllParkedAsync(node.Agent, Apps, TimeSpan.FromMinutes(2));

        // Parked sessions hold no thread; what may grow is the runtime's own pool (workers, the parking thread).
        var threadsAfter = Directory.GetDirectories($"/proc/{node.Agent.Pid}/task").Length;
        Assert.True(threadsAfter <= threadsBefore + 16, $"{threadsBefore} agent threads before {Apps} idle apps, {threadsAfter} after");

        using (File.OpenWrite(release)) { } // every reader sees end of file: the apps exit
        await Eventually.UntilAsync(async () => (await node.Shell.GetAsync<AppRecord>()).Count == 0,
            TimeSpan.FromMinutes(2), "the apps to leave `ax get apps`", () => node.Agent.Output);
    }

    private static Task AwaitAllParkedAsync(SingleNode node, int count) => AwaitAllParkedAsync(node.Agent, count);

    /// <summary>Waits until <paramref name="count"/> sessions are parked, none serves, and no app-* thread is left.</summary>
    private static async Task AwaitAllParkedAsync(AgentProcess agent, int count, TimeSpan? wait = null)
    {
        (int Serving, int Parked) sessions = default;
        var threads = -1;
        await Eventually.UntilAsync(async () =>
        {
            sessions = await SessionsAsync(agent);
            threads = SessionThreads(agent.Pid);
            return sessions == (0, count) && threads == 0;
        }, wait ?? Wait, $"{count} parked sessions and no session thread",
            () => $"sessions (serving, parked) {sessions}, app-* threads {threads}\n{agent.Output}");
    }

    private static Task<(int Serving, int Parked)> SessionsAsync(SingleNode node) => SessionsAsync(node.Agent);

    /// <summary>The agent's `appswitch_app_sessions` gauge, read from /metrics on api.sock.</summary>
    private static async Task<(int Serving, int Parked)> SessionsAsync(AgentProcess agent)
    {
        using var api = UnixSocketHttp.Create(agent.ApiSocket, TimeSpan.FromSeconds(10));
        var text = await api.GetStringAsync("http://localhost/metrics");
        int Of(string state) => SessionsLine().Matches(text).Where(m => m.Groups[1].Value == state).Select(m => int.Parse(m.Groups[2].Value)).Single();
        return (Of("serving"), Of("parked"));
    }

    [GeneratedRegex("""^appswitch_app_sessions\{state="(\w+)"\} (\d+)$""", RegexOptions.Multiline)]
    private static partial Regex SessionsLine();

    /// <summary>The agent's threads named app-ID (session threads).</summary>
    private static int SessionThreads(int agentPid) =>
        Directory.GetDirectories($"/proc/{agentPid}/task").Count(task =>
        {
            try { return File.ReadAllText(Path.Combine(task, "comm")).StartsWith("app-", StringComparison.Ordinal); }
            catch (IOException) { return false; } // the thread exited meanwhile
        });

    /// <summary>Waits for a file, then one request (connect, getpeername); waits for another, then again plus a bind and listen.</summary>
    private const string IdleClient = """
        import os, socket, sys, time
        host, port, go1, go2, done = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
        def wait(path):
            while not os.path.exists(path): time.sleep(0.05)
        def once(tag):
            s = socket.create_connection((host, port), timeout=10)
            peer = s.getpeername()
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk: break
                data += chunk
            s.close()
            print(tag, peer[0], peer[1], data.split(b"\r\n")[0].decode(), flush=True)
        print("ready", flush=True)
        wait(go1); once("first")
        wait(go2)
        listener = socket.socket(); listener.bind(("0.0.0.0", 9000)); listener.listen()
        once("second")
        wait(done)  # the listener stays until the test has seen it listed
        """;

    /// <summary>Listens on a port, then does nothing until a file appears.</summary>
    private const string IdleServer = """
        import os, socket, sys, time
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen()
        while not os.path.exists(sys.argv[2]): time.sleep(0.05)
        """;
}
