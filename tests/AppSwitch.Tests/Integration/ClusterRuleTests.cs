using System.Text.Json;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Rules and services across three nodes: every node sees the same rule set; a rule is changed on its owner only.</summary>
public sealed class ClusterRuleTests(ITestOutputHelper output)
{
    private static async Task<string> RulesJsonAsync(NodeShell shell)
    {
        var listed = await shell.AxAsync("get", "rules", "-o", "json");
        return listed.ExitCode == 0 ? listed.StdOut : $"failed: {listed.Describe()}";
    }

    [Fact]
    public async Task A_rule_created_on_node_1_applies_on_every_node_and_is_deleted_there_only()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var file = cluster.Network.Temp.WriteFile("rules.yaml", """
            rules:
            - id: hw-split
              destination: helloworld
              route:
                backends:
                - {tags: [version=v2], weight: 0.25}
                - tags: [version=v1]
            """);
        var created = await cluster.Shell(0).AxAsync("create", "rule", "-f", file);
        Assert.True(created.ExitCode == 0, created.Describe());
        var expected = await RulesJsonAsync(cluster.Shell(0));
        Assert.Contains("hw-split", expected);
        foreach (var index in new[] { 1, 2 })
            await Eventually.UntilAsync(async () => await RulesJsonAsync(cluster.Shell(index)) == expected, TimeSpan.FromSeconds(10),
                $"n{index + 1} to list the rule created on n1", () => cluster.Logs());

        // The id is taken cluster-wide, and only the owner changes the rule.
        var duplicate = await cluster.Shell(2).AxAsync("create", "rule", "-f", file);
        Assert.True(duplicate.ExitCode == 1 && duplicate.StdErr.Contains("already exists (on node n1)"), duplicate.Describe());
        var foreign = await cluster.Shell(1).AxAsync("delete", "rule", "hw-split");
        Assert.True(foreign.ExitCode == 1 && foreign.StdErr.Trim() == "ax: rule \"hw-split\" belongs to node n1: change it there", foreign.Describe());

        // A named app on n3 is an instance everyone lists.
        var root = DocumentRoot(cluster.Network.Temp, "www", ("index.html", "hi"));
        var app = cluster.Shell(2).StartUnderAx(["--ip", "198.18.1.3", "--name", "helloworld", "--labels", "version=v1"], PythonHttpServer(root));
        await cluster.Shell(2).WaitForServerAsync("198.18.1.3:80", server: app);
        CommandResult? services = null;
        await Eventually.UntilAsync(async () =>
            {
                services = await cluster.Shell(0).AxAsync("get", "services");
                return services.StdOut.Contains("version=v1(1)");
            }, TimeSpan.FromSeconds(10), "n1 to list n3's instance", () => services?.Describe() + cluster.Logs());

        var deleted = await cluster.Shell(0).AxAsync("delete", "rule", "hw-split");
        Assert.True(deleted.ExitCode == 0, deleted.Describe());
        foreach (var index in new[] { 1, 2 })
            await Eventually.UntilAsync(async () =>
                JsonSerializer.Deserialize(await RulesJsonAsync(cluster.Shell(index)), ApiJsonContext.Default.RuleList)!.Rules.Count == 0,
                TimeSpan.FromSeconds(10), $"n{index + 1} to drop the deleted rule", () => cluster.Logs());
        GC.KeepAlive(app);
    }
}
