using System.Text.Json;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>Route rules applied at connect (L4): weights split connections (directly and through a vservice), source name picks a rule, no rule keeps today's path.</summary>
public sealed class RouteRuleTests(ITestOutputHelper output)
{
    private const int Port = 7000;
    private const string V1 = "198.18.1.1";
    private const string V2 = "198.18.1.2";

    private static async Task<Dictionary<string, int>> CountAsync(SingleNode node, string[] axOptions, int connections,
        string ip = V1, int port = Port)
    {
        var result = await node.Shell.RunUnderAxAsync(axOptions, VersionPrograms.CountingClient(ip, port, connections),
            TimeSpan.FromSeconds(180));
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonSerializer.Deserialize<Dictionary<string, int>>(result.StdOut)!;
    }

    [Fact]
    public async Task A_25_75_rule_splits_4000_connections_within_3_points_and_a_source_rule_takes_its_client()
    {
        await using var node = await SingleNode.StartAsync(output);
        foreach (var (ip, version) in new[] { (V1, "v1"), (V2, "v2") })
        {
            var server = node.Shell.StartUnderAx(["--ip", ip, "--name", "helloworld", "--labels", $"version={version},zone=default"],
                VersionPrograms.VersionServer(version, Port));
            await node.Shell.WaitForServerAsync($"{ip}:{Port}", server: server);
        }

        // No rule: the v1 address is served by v1 only (today's path).
        Assert.Equal(new Dictionary<string, int> { ["v1"] = 50 }, await CountAsync(node, [], 50));

        var file = node.Network.Temp.WriteFile("rules.yaml", """
            rules:
            - id: hw-split
              priority: 1
              destination: helloworld
              route:
                backends:
                - {tags: [version=v2], weight: 0.25}
                - tags: [version=v1]
            - id: hw-tester
              priority: 2
              destination: helloworld
              match:
                source: {name: tester}
              route:
                backends:
                - tags: [version=v2]
            - id: hw-jason
              priority: 3
              destination: helloworld
              match:
                headers: {Cookie: "user=jason"}
              route:
                backends:
                - tags: [version=v1]
            """);
        var created = await node.Shell.AxAsync("create", "rule", "-f", file);
        Assert.True(created.ExitCode == 0, created.Describe());

        // The header rule (L7) is passed over at connect; the split applies to an anonymous client.
        const int total = 4000;
        var split = await CountAsync(node, [], total);
        Assert.Equal(total, split.Values.Sum());
        var v2Share = 100.0 * split.GetValueOrDefault("v2") / total;
        output.WriteLine($"25/75 rule over {total} connections: v2 {v2Share:0.00}% ({JsonSerializer.Serialize(split)})");
        Assert.InRange(v2Share, 22.0, 28.0);

        // Through a vservice whose backend is the v1 instance: the rule still decides (looser bound: 400 connections).
        var vservice = await node.Shell.AxAsync("create", "vservice", "--ip", "198.18.9.1", "--backends", V1, "--ports", $"8000:{Port}", "hw");
        Assert.True(vservice.ExitCode == 0, vservice.Describe());
        var viaVService = await CountAsync(node, [], 400, "198.18.9.1", 8000);
        Assert.InRange(viaVService.GetValueOrDefault("v2"), 60, 140);

        // The app named "tester" matches the higher-priority source rule: v2 only.
        Assert.Equal(new Dictionary<string, int> { ["v2"] = 100 }, await CountAsync(node, ["--name", "tester"], 100));

        // Rules gone: back to v1 only.
        var deleted = await node.Shell.AxAsync("delete", "rule", "hw-split", "hw-tester", "hw-jason");
        Assert.True(deleted.ExitCode == 0, deleted.Describe());
        Assert.Equal(new Dictionary<string, int> { ["v1"] = 50 }, await CountAsync(node, [], 50));
    }
}
