using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 14, point 1: the admin API (api.sock) and the agent's state live in the admin directory, which pods do not
/// mount; api.sock checks its peer with SO_PEERCRED (root or the socket group), even when someone opened the files
/// up; an upgraded agent moves state left in the socket directory; in Kubernetes rules mode rule writes are refused.
/// </summary>
[Collection(HostGlobalCollection.Name)]
public sealed class AdminSocketTests(ITestOutputHelper output)
{
    private const string OneRule = """{"rules":[{"id":"r1","destination":"web","route":{"backends":[{"tags":["v1"]}]}}]}""";

    private static string[] As(string uid, string gid, string[] groups, params string[] command) =>
        ["setpriv", "--reuid", uid, "--regid", gid, .. groups.Length == 0 ? new[] { "--clear-groups" } : ["--groups", string.Join(',', groups)], .. command];

    private static async Task OpenUpAsync(AgentProcess agent)
    {
        // What a careless admin (or a hostPath with the wrong mode) might do: file modes no longer keep anyone out.
        await CommandRunner.RunCheckedAsync("chmod", "0755", agent.AdminDir);
        await CommandRunner.RunCheckedAsync("chmod", "0666", agent.ApiSocket);
    }

    [Fact]
    public async Task The_socket_directory_pods_mount_holds_only_the_launcher_socket()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output);
        Assert.Equal(["ax.sock"], Directory.GetFileSystemEntries(node.Agent.SocketDir).Select(Path.GetFileName).Order());
        var admin = Directory.GetFileSystemEntries(node.Agent.AdminDir).Select(Path.GetFileName).ToHashSet();
        Assert.Superset(new HashSet<string?> { "api.sock", "state.json", "inflight.journal" }, admin);

        // A pod sees the socket directory only: `ax get` there names the admin socket it lacks, at once.
        var inPod = await node.Shell.RunAsync(["env", $"AX_ADMIN_SOCKET_DIR={node.Agent.SocketDir}/../no-admin-here", RepoLayout.RequireAx(), "get", "apps"],
            TimeSpan.FromSeconds(10));
        Assert.True(inPod.ExitCode == 1, inPod.Describe());
        Assert.StartsWith($"ax: no AppSwitch admin socket at {node.Agent.SocketDir}/../no-admin-here/api.sock (the admin API is served only on the node;",
            inPod.StdErr.Trim());
        Assert.Single(inPod.StdErr.Trim().Split('\n'));

        // The flag, before the command (the launcher exports it) or after it, wins over the environment.
        foreach (var args in new[] { new[] { "--admin-socket-dir", node.Agent.AdminDir, "get", "apps" }, ["get", "apps", "--admin-socket-dir", node.Agent.AdminDir] })
        {
            var flagged = await node.Shell.RunAsync(["env", "AX_ADMIN_SOCKET_DIR=/nonexistent", RepoLayout.RequireAx(), .. args]);
            Assert.True(flagged.ExitCode == 0, flagged.Describe());
        }
    }

    [Fact]
    public async Task A_user_outside_the_socket_group_is_refused_by_peer_credentials_even_when_the_files_are_open()
    {
        await using var node = await SingleNode.StartAsync(output);
        await OpenUpAsync(node.Agent);
        var ax = RepoLayout.RequireAx();

        var get = await node.Shell.RunAsync(As("65534", "65534", [], ax, "get", "apps"));
        Assert.True(get.ExitCode == 1, get.Describe());
        Assert.Equal("ax: permission denied: the admin API serves only root and members of group 0", get.StdErr.Trim());

        var rule = node.Network.Temp.WriteFile("rule.json", OneRule);
        var create = await node.Shell.RunAsync(As("65534", "65534", [], ax, "create", "rule", "-f", rule));
        Assert.True(create.ExitCode == 1, create.Describe());
        Assert.Equal("ax: permission denied: the admin API serves only root and members of group 0", create.StdErr.Trim());

        // The raw HTTP answer, as any other client would see it.
        var curl = await node.Shell.RunAsync(As("65534", "65534", [], "curl", "-sS", "-w", "\n%{http_code}", "--unix-socket", node.Agent.ApiSocket,
            "-X", "POST", "--data-binary", OneRule, "http://agent/v1/rules"));
        Assert.Equal("{\"error\":\"permission denied: the admin API serves only root and members of group 0\"}\n403", curl.StdOut);

        // README: "anyone else gets 403 … and the agent logs" who it was: the log line is the promise.
        Assert.Contains("refused GET /api/v1/apps on api.sock: peer pid", node.Agent.Output);
        Assert.Contains("uid 65534 gid 65534 is neither root nor in group 0", node.Agent.Output);
        var asRoot = await node.Shell.AxAsync("get", "rules", "-o", "json");
        Assert.True(asRoot.ExitCode == 0 && !asRoot.StdOut.Contains("r1"), asRoot.Describe());
    }

    [Fact]
    public async Task Supplementary_members_of_the_socket_group_are_let_in_and_others_are_not()
    {
        await using var network = TestNetwork.Create(1);
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0], extraFlags: ["--socket-group", "65534"]);
        var shell = new NodeShell(network, agent);
        var ax = RepoLayout.RequireAx();

        // 65534 only as a supplementary group: SO_PEERGROUPS tells the agent.
        var member = await shell.RunAsync(As("65533", "65533", ["65534"], ax, "get", "apps", "-o", "json"));
        Assert.True(member.ExitCode == 0, member.Describe() + agent.Output);

        await OpenUpAsync(agent);
        var stranger = await shell.RunAsync(As("65533", "65533", [], ax, "get", "apps"));
        Assert.True(stranger.ExitCode == 1, stranger.Describe());
        Assert.Equal("ax: permission denied: the admin API serves only root and members of group 65534", stranger.StdErr.Trim());
    }

    [Fact]
    public async Task State_left_in_the_socket_directory_by_an_older_agent_is_moved_and_loaded()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output, page: "moved");
        await node.Agent.KillAsync();
        // The layout of agents before the admin directory.
        foreach (var name in new[] { "state.json", "inflight.journal" })
            File.Move(Path.Combine(node.Agent.AdminDir, name), Path.Combine(node.Agent.SocketDir, name));
        var oldApiSocket = Path.Combine(node.Agent.SocketDir, "api.sock");
        await CommandRunner.RunCheckedAsync("python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", oldApiSocket);

        var restarted = await node.Agent.RestartAsync(node.Network);
        var shell = new NodeShell(node.Network, restarted);
        await shell.WaitForServerAsync($"{VirtualIps.Server}:80", TimeSpan.FromSeconds(10));
        var page = await shell.RunUnderAxAsync([], CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
        Assert.True(page.ExitCode == 0 && page.StdOut == "moved\n200", page.Describe());

        // Nothing of the old layout stays where pods can reach it (the stale api.sock had no listener).
        Assert.Equal(["ax.sock"], Directory.GetFileSystemEntries(restarted.SocketDir).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(restarted.AdminDir, "state.json")));
    }

    [Fact]
    public async Task In_kubernetes_rules_mode_rule_writes_are_refused_on_both_listeners()
    {
        // No API server: the adapter logs that it cannot connect and the agent goes on; the refusal does not depend on it.
        await using var node = await SingleNode.StartAsync(output, "--rules-adapter", "kubernetes");
        const string refusal = "rules are managed by Kubernetes on this node (--rules-adapter kubernetes): create or change " +
                               "RoutingRule objects (routingrules.amalgam8.io) with kubectl instead";

        var create = await node.Shell.AxAsync("create", "rule", "-f", node.Network.Temp.WriteFile("rule.json", OneRule));
        Assert.True(create.ExitCode == 1, create.Describe());
        Assert.Equal($"ax: {refusal}", create.StdErr.Trim());
        var delete = await node.Shell.AxAsync("delete", "rule", "r1");
        Assert.True(delete.ExitCode == 1 && delete.StdErr.Trim() == $"ax: {refusal}", delete.Describe());

        var body = $"{{\"error\":\"{refusal}\"}}\n403";
        foreach (var method in new[] { "POST", "PUT", "DELETE" })
        {
            string[] curl = ["curl", "-sS", "-w", "\n%{http_code}", "-X", method, "--data-binary", OneRule];
            var overUnix = await node.Shell.RunAsync([.. curl, "--unix-socket", node.Agent.ApiSocket, "http://agent/v1/rules?id=r1"]);
            Assert.Equal(body, overUnix.StdOut);
            var overTcp = await node.Shell.RunAsync([.. curl, .. node.Agent.CurlAuthorization, $"{node.Agent.RestUrl}/v1/rules?id=r1"]);
            Assert.Equal(body, overTcp.StdOut);
        }
        var get = await node.Shell.AxAsync("get", "rules");
        Assert.True(get.ExitCode == 0, get.Describe());
    }
}
