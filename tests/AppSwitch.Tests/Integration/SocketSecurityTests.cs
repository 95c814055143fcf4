using AppSwitch.Common.Paths;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 3, point 4: the socket directory (0750) and its sockets (0660) belong to root and, with
/// `--socket-group`, to that group. A user outside the group cannot run apps or read the table; a member can.
/// The non-root user is `nobody` (group `nogroup`), switched to with runuser.
/// </summary>
[Collection(HostGlobalCollection.Name)]
public sealed class SocketSecurityTests(ITestOutputHelper output)
{
    private const string User = "nobody";
    private const string Group = "nogroup";
    private const int GroupId = 65534;

    /// <summary>"MODE UID GID" of a path, e.g. "750 0 0".</summary>
    private static async Task<string> OwnerAndModeAsync(string path) =>
        (await CommandRunner.RunCheckedAsync("stat", "-c", "%a %u %g", path)).StdOut.Trim();

    private static Task<CommandResult> AsUserAsync(NodeShell shell, params string[] command) =>
        shell.RunAsync(["runuser", "-u", User, "--", .. command]);

    private async Task AssertModesAsync(AgentProcess agent, int gid)
    {
        var seen = new Dictionary<string, string>
        {
            ["socket dir"] = await OwnerAndModeAsync(agent.SocketDir),
            ["admin dir"] = await OwnerAndModeAsync(agent.AdminDir),
            [SocketDirectory.LauncherSocketName] = await OwnerAndModeAsync(agent.LauncherSocket),
            [AdminSocketDirectory.ApiSocketName] = await OwnerAndModeAsync(agent.ApiSocket),
        };
        foreach (var (what, mode) in seen) output.WriteLine($"{what}: {mode}");
        Assert.Equal($"750 0 {gid}", seen["socket dir"]);
        Assert.Equal($"750 0 {gid}", seen["admin dir"]);
        Assert.Equal($"660 0 {gid}", seen[SocketDirectory.LauncherSocketName]);
        Assert.Equal($"660 0 {gid}", seen[AdminSocketDirectory.ApiSocketName]);
    }

    [Fact]
    public async Task By_default_only_root_may_use_the_sockets()
    {
        await using var node = await SingleNode.StartAsync(output);
        await AssertModesAsync(node.Agent, gid: 0);

        var run = await AsUserAsync(node.Shell, RepoLayout.RequireAx(), "run", "--new-netns=false", "--", "true");
        Assert.True(run.ExitCode == 1, "nobody could run an app (or not the launcher's own exit 1): " + run.Describe());
        Assert.Equal($"ax: permission denied on {node.Agent.LauncherSocket} (run as root or as a member of its group)", run.StdErr.Trim());

        var get = await AsUserAsync(node.Shell, RepoLayout.RequireAx(), "get", "apps");
        Assert.True(get.ExitCode == 1, get.Describe());
        Assert.Equal($"ax: permission denied on {node.Agent.ApiSocket} (run as root or as a member of its group)", get.StdErr.Trim());

        // Root still can.
        var asRoot = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], ["true"]);
        Assert.True(asRoot.ExitCode == 0, asRoot.Describe());
    }

    [Theory]
    [InlineData(Group)]           // by name
    [InlineData("65534")]         // by number
    public async Task Members_of_the_socket_group_may_run_apps_and_read_the_table(string group)
    {
        await using var network = TestNetwork.Create(1);
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0], extraFlags: ["--socket-group", group]);
        var shell = new NodeShell(network, agent);
        await AssertModesAsync(agent, GroupId);

        var run = await AsUserAsync(shell, RepoLayout.RequireAx(), "run", "--new-netns=false", "--", "id", "-u");
        Assert.True(run.ExitCode == 0 && run.StdOut.Trim() == "65534", run.Describe() + "\n" + agent.Output);

        // Connected, identified by SO_PEERCRED as uid 65534: a new network namespace is refused with the agent's own message.
        var netns = await AsUserAsync(shell, RepoLayout.RequireAx(), "run", "--", "true");
        Assert.True(netns.ExitCode == 1, netns.Describe());
        Assert.Equal("ax: a new network namespace needs root; run as root or use --new-netns=false", netns.StdErr.Trim());

        var get = await AsUserAsync(shell, RepoLayout.RequireAx(), "get", "apps", "-o", "json");
        Assert.True(get.ExitCode == 0, get.Describe());
    }

    [Fact]
    public async Task An_existing_socket_directory_that_is_too_open_is_tightened()
    {
        await using var network = TestNetwork.Create(1);
        var node = network.Nodes[0];
        var socketDir = network.Temp.NewSubdirectory("open-dir");
        await CommandRunner.RunCheckedAsync("chmod", "0777", socketDir);
        await CommandRunner.RunCheckedAsync("chgrp", GroupId.ToString(), socketDir);

        var shell = new NodeShell(network, node, socketDir);
        var daemon = network.Own(shell.Start(RepoLayout.RequireAx(), "daemon", "--socket-dir", socketDir,
            "--node-interface", node.Interface, "--node-name", node.Name, "--rest-port", "0"));
        var api = AdminSocketDirectory.ApiSocket(AgentProcess.AdminDirOf(socketDir));
        await Eventually.UntilAsync(async () =>
        {
            if (daemon.HasExited) throw new Xunit.Sdk.XunitException(daemon.Describe());
            return File.Exists(api) && (await OwnerAndModeAsync(api)).StartsWith("660", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the agent to serve api.sock", daemon.Describe);
        Assert.Equal("750 0 0", await OwnerAndModeAsync(socketDir));
    }
}
