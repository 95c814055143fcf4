using AppSwitch.Common.Paths;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// `out/bin/ax daemon` running inside a node's namespace with its own socket and admin directories (under the
/// test's temp directory) and its own REST token file. Started means ready: api.sock answers GET /healthz.
/// Disposing sends SIGTERM, then SIGKILL after a deadline, and removes both directories.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    /// <summary>Each node has its own namespace, so the default REST port is always free there.</summary>
    public const int DefaultRestPort = 6664;
    public const string DefaultPorts = "40000-60000";

    private readonly RunningProcess _process;

    public TestNode Node { get; }
    public string SocketDir { get; }
    /// <summary>api.sock, state.json and the journal: &lt;socket dir&gt;-admin, a sibling pods would not mount.</summary>
    public string AdminDir => AdminDirOf(SocketDir);
    public int RestPort { get; }
    /// <summary>File of the REST port's bearer token (--api-token-file); tests may rewrite it (rotation).</summary>
    public string TokenFile => SocketDir + "-token";
    /// <summary>The token the agent was started with.</summary>
    public string RestToken { get; private set; } = "";
    public string LauncherSocket => SocketDirectory.LauncherSocket(SocketDir);
    public string ApiSocket => AdminSocketDirectory.ApiSocket(AdminDir);
    /// <summary>curl arguments that present <see cref="RestToken"/>.</summary>
    public string[] CurlAuthorization => ["-H", $"Authorization: Bearer {RestToken}"];
    /// <summary>Base URL of the REST port on the node address (it listens nowhere else).</summary>
    public string RestUrl => $"http://{Node.Address}:{RestPort}";
    /// <summary>The daemon's stdout and stderr so far (for assertion messages).</summary>
    public string Output => $"--- agent stdout ---\n{_process.StdOut}\n--- agent stderr ---\n{_process.StdErr}";
    public bool HasExited => _process.HasExited;
    public int Pid => _process.Pid;
    /// <summary>How many fds the agent has open now (leak checks).</summary>
    public int OpenFds => Directory.GetFiles($"/proc/{Pid}/fd").Length;

    private string[] _extraFlags = [];

    public static string AdminDirOf(string socketDir) => socketDir + "-admin";

    private AgentProcess(TestNode node, string socketDir, int restPort, RunningProcess process)
    {
        Node = node;
        SocketDir = socketDir;
        RestPort = restPort;
        _process = process;
    }

    /// <summary>Starts the daemon in <paramref name="node"/> and waits until its API answers.</summary>
    public static Task<AgentProcess> StartAsync(TestNetwork network, TestNode node,
        int restPort = DefaultRestPort, params string[] extraFlags) =>
        StartInAsync(network, node, Path.Combine(network.Temp.Path, $"{node.Name}-{TempDirectory.NewId()}"), restPort, extraFlags, restToken: true);

    /// <summary>As <see cref="StartAsync"/>, with environment variables (`NAME=value`) for the daemon: the test-only knobs.</summary>
    public static Task<AgentProcess> StartWithEnvironmentAsync(TestNetwork network, TestNode node, string[] environment, params string[] extraFlags) =>
        StartInAsync(network, node, Path.Combine(network.Temp.Path, $"{node.Name}-{TempDirectory.NewId()}"), DefaultRestPort, extraFlags, restToken: true,
            environment: environment);

    /// <summary>An agent started without --api-token-file: its REST port serves health only.</summary>
    public static Task<AgentProcess> StartWithoutRestTokenAsync(TestNetwork network, TestNode node) =>
        StartInAsync(network, node, Path.Combine(network.Temp.Path, $"{node.Name}-{TempDirectory.NewId()}"), DefaultRestPort, [], restToken: false);

    /// <summary>
    /// A new agent in the same node and socket directory, as a DaemonSet rolling update starts one; it takes
    /// back the apps of the previous one. The previous process must have exited (see <see cref="KillAsync"/>).
    /// </summary>
    public Task<AgentProcess> RestartAsync(TestNetwork network, params string[] extraFlags) =>
        StartInAsync(network, Node, SocketDir, RestPort, [.. _extraFlags, .. extraFlags], restToken: RestToken.Length > 0);

    /// <summary>
    /// <see cref="RestartAsync"/> from another cgroup (an existing directory), as a DaemonSet's new pod or a restarted
    /// container starts: the agent's socket-lock cgroup is then made under that one.
    /// </summary>
    public Task<AgentProcess> RestartInCgroupAsync(TestNetwork network, string cgroupDir) =>
        StartInAsync(network, Node, SocketDir, RestPort, _extraFlags, restToken: RestToken.Length > 0, cgroupDir);

    /// <summary>SIGKILL, as a crash or an OOM kill would end it; waits until it is gone.</summary>
    public async Task KillAsync()
    {
        _process.Signal(9);
        await _process.WaitForExitAsync(StopGrace);
    }

    private static async Task<AgentProcess> StartInAsync(TestNetwork network, TestNode node, string socketDir,
        int restPort, string[] extraFlags, bool restToken, string? cgroupDir = null, string[]? environment = null)
    {
        var ax = RepoLayout.RequireAx();
        Directory.CreateDirectory(socketDir);
        var tokenFile = socketDir + "-token";
        if (restToken && !File.Exists(tokenFile)) await File.WriteAllTextAsync(tokenFile, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) + "\n");
        string[] daemon =
        [
            .. environment is { Length: > 0 } ? ["env", .. environment] : Array.Empty<string>(),
            ax, "daemon",
            "--socket-dir", socketDir,
            "--admin-socket-dir", AdminDirOf(socketDir),
            .. restToken ? new[] { "--api-token-file", tokenFile } : [],
            "--rest-port", restPort.ToString(),
            "--node-interface", node.Interface,
            "--node-name", node.Name,
            "--ports", DefaultPorts,
            "--log-level", "debug",
            .. extraFlags,
        ];
        var process = cgroupDir is null
            ? RunningProcess.Start("ip", node.Exec(daemon))
            : RunningProcess.Start("sh", ["-c", "echo $$ > \"$1/cgroup.procs\" && shift && exec \"$@\"", "sh", cgroupDir, "ip", .. node.Exec(daemon)]);
        var agent = network.Own(new AgentProcess(node, socketDir, restPort, process)
        {
            _extraFlags = extraFlags, RestToken = restToken ? (await File.ReadAllTextAsync(tokenFile)).Trim() : "",
        });
        await agent.WaitUntilHealthyAsync();
        return agent;
    }

    /// <summary>GET /healthz on api.sock; true on a 2xx answer.</summary>
    public async Task<bool> IsHealthyAsync()
    {
        if (!File.Exists(ApiSocket)) return false;
        try
        {
            using var http = UnixSocketHttp.Create(ApiSocket, TimeSpan.FromSeconds(2));
            using var response = await http.GetAsync("/healthz");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
        catch (System.Net.Sockets.SocketException) { return false; }
    }

    private Task WaitUntilHealthyAsync() =>
        Eventually.UntilAsync(async () =>
        {
            if (_process.HasExited)
                throw new Xunit.Sdk.XunitException($"`ax daemon` exited before it was ready: {_process.Describe()}");
            return await IsHealthyAsync();
        }, StartTimeout, $"`ax daemon` in {Node.Namespace} to answer GET /healthz on {ApiSocket}", () => Output);

    /// <summary>Stops the daemon (SIGTERM, then SIGKILL after <see cref="StopGrace"/>); returns its exit code.</summary>
    public async Task<int?> StopAsync()
    {
        await _process.StopAsync(StopGrace);
        return _process.HasExited ? (await _process.WaitForExitAsync(TimeSpan.FromSeconds(5))).ExitCode : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try { Directory.Delete(SocketDir, recursive: true); } catch (IOException) { }
        try { Directory.Delete(AdminDir, recursive: true); } catch (IOException) { }
        try { File.Delete(TokenFile); } catch (IOException) { }
    }
}
