using AppSwitch.Common.Model;
using AppSwitch.Common.Paths;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Runs programs on a test node as a user would: inside the node's namespace, with AX_SOCKET_DIR and
/// AX_ADMIN_SOCKET_DIR pointing at that node's agent, optionally under `ax run`. Started programs belong to the
/// network and are stopped when it is disposed (or earlier, when the caller disposes them). They start
/// in the network's temp directory, so nothing they write lands elsewhere.
/// </summary>
public sealed class NodeShell
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly TestNetwork _network;
    private readonly Dictionary<string, string> _environment;

    public TestNode Node { get; }
    public string SocketDir { get; }

    public NodeShell(TestNetwork network, TestNode node, string socketDir)
    {
        _network = network;
        Node = node;
        SocketDir = socketDir;
        _environment = new()
        {
            [SocketDirectory.EnvironmentVariable] = socketDir,
            [AdminSocketDirectory.EnvironmentVariable] = AgentProcess.AdminDirOf(socketDir),
        };
    }

    public NodeShell(TestNetwork network, AgentProcess agent) : this(network, agent.Node, agent.SocketDir) { }

    /// <summary>`ax run AXOPTIONS -- COMMAND` as argv.</summary>
    public static string[] AxRun(IEnumerable<string> axOptions, IEnumerable<string> command) =>
        [RepoLayout.RequireAx(), "run", .. axOptions, "--", .. command];

    /// <summary>Starts <paramref name="command"/> in the node's namespace (not under ax).</summary>
    public RunningProcess Start(params string[] command) =>
        _network.Own(RunningProcess.Start("ip", Node.Exec(command), _environment, _network.Temp.Path));

    /// <summary>Starts `ax run AXOPTIONS -- COMMAND` in the node's namespace.</summary>
    public RunningProcess StartUnderAx(string[] axOptions, string[] command) => Start(AxRun(axOptions, command));

    /// <summary>Runs <paramref name="command"/> in the node's namespace to completion.</summary>
    public Task<CommandResult> RunAsync(string[] command, TimeSpan? timeout = null) => RunToExitAsync("ip", Node.Exec(command), timeout);

    /// <summary>
    /// Runs <paramref name="command"/> in the node's namespace from inside the cgroup directory <paramref name="cgroupDir"/>:
    /// the shell moves itself there before `ip netns exec`, which mounts a sysfs of the namespace without the cgroup mounts.
    /// </summary>
    public Task<CommandResult> RunInCgroupAsync(string cgroupDir, string[] command, TimeSpan? timeout = null) =>
        RunToExitAsync("sh", ["-c", "echo $$ > \"$1/cgroup.procs\" && shift && exec \"$@\"", "sh", cgroupDir, "ip", .. Node.Exec(command)], timeout);

    private async Task<CommandResult> RunToExitAsync(string file, string[] args, TimeSpan? timeout)
    {
        await using var process = RunningProcess.Start(file, args, _environment, _network.Temp.Path);
        return await process.WaitForExitAsync(timeout ?? DefaultTimeout);
    }

    /// <summary>Runs `ax run AXOPTIONS -- COMMAND` to completion.</summary>
    public Task<CommandResult> RunUnderAxAsync(string[] axOptions, string[] command, TimeSpan? timeout = null) =>
        RunAsync(AxRun(axOptions, command), timeout);

    /// <summary>Runs `ax ARGS` (get, create, …) on the node.</summary>
    public Task<CommandResult> AxAsync(params string[] args) => RunAsync([RepoLayout.RequireAx(), .. args]);

    /// <summary>
    /// The records `ax get RESOURCE -o json` lists, read from the node agent's api.sock (no process per poll);
    /// fails with the agent's answer when it does not succeed.
    /// </summary>
    public Task<List<T>> GetAsync<T>() =>
        AgentApi.ListAsync<T>(AdminSocketDirectory.ApiSocket(AgentProcess.AdminDirOf(SocketDir)));

    /// <summary>Waits until `ax get apps` lists an app named <paramref name="name"/> (of any node); returns it.</summary>
    public async Task<AppRecord> WaitForAppAsync(string name, TimeSpan? timeout = null, RunningProcess? app = null,
        Func<string>? diagnostics = null)
    {
        AppRecord? found = null;
        await Eventually.UntilAsync(async () =>
        {
            found = (await GetAsync<AppRecord>()).FirstOrDefault(a => a.Name == name);
            return found is not null;
        }, timeout ?? DefaultTimeout, $"app {name} in `ax get apps` on {Node.Name}", () => app?.Describe() + diagnostics?.Invoke());
        return found!;
    }

    /// <summary>Waits until `ax get servers` lists <paramref name="serviceAddr"/> (e.g. 198.18.0.1:80).</summary>
    public async Task<ServerRecord> WaitForServerAsync(string serviceAddr, TimeSpan? timeout = null,
        RunningProcess? server = null, int count = 1)
    {
        List<ServerRecord> seen = [];
        await Eventually.UntilAsync(async () =>
        {
            if (server is { HasExited: true })
                throw new Xunit.Sdk.XunitException($"the server exited before {serviceAddr} was listed: {server.Describe()}");
            seen = (await GetAsync<ServerRecord>()).Where(s => s.ServiceAddr == serviceAddr).ToList();
            return seen.Count >= count;
        }, timeout ?? DefaultTimeout, $"{count} server entr{(count == 1 ? "y" : "ies")} for {serviceAddr} in `ax get servers -o json`",
            () => server?.Describe() ?? "");
        return seen[0];
    }
}
