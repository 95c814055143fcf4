using System.Text.Json;
using System.Text.RegularExpressions;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 14 point 6 on three agents in node namespaces: `ax keys` rotates the gossip key (install new, use new,
/// remove old) while every member stays alive; a node holding only the removed key, or no key at all, cannot
/// join; the keyring survives a restart; `ax get nodes -o wide` shows the encryption; a keyless agent warns.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed partial class KeyRotationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(15);

    private static async Task<KeyringRecord> KeysAsync(NodeShell shell)
    {
        var result = await shell.AxAsync("keys", "list", "-o", "json");
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonSerializer.Deserialize(result.StdOut, ApiJsonContext.Default.KeyringRecord)!;
    }

    private static string Describe(KeyringRecord keyring) =>
        string.Join(" ", keyring.Keys.Select(k => $"{k.Key[..6]}{(k.Primary ? "*" : "")}={k.Members}/{keyring.Members}"));

    private async Task KeysChangeAsync(NodeShell shell, string operation, string key)
    {
        var result = await shell.AxAsync("keys", operation, key);
        Assert.True(result.ExitCode == 0 && result.StdOut.Contains("3/3 members acknowledged"), result.Describe());
        output.WriteLine($"ax keys {operation} on {shell.Node.Name}: {result.Elapsed.TotalMilliseconds:F0} ms, {result.StdOut.Trim()}");
    }

    /// <summary>Waits until the members refused more packets for the key than <paramref name="before"/> (the outsider is knocking).</summary>
    private static async Task<long> AwaitAuthFailuresAsync(ThreeNodeCluster cluster, long before)
    {
        long total = before;
        await Eventually.UntilAsync(async () =>
        {
            total = 0;
            foreach (var agent in cluster.Agents) total += (await ThreeNodeCluster.StatsAsync(agent)).AuthFailures;
            return total > before;
        }, RefusalTimeout, "the members to refuse the outsider's packets for the key", () => cluster.Logs());
        return total;
    }

    private static async Task AssertOutsiderAloneAsync(ThreeNodeCluster cluster, AgentProcess outsider)
    {
        foreach (var member in cluster.Agents)
        {
            var nodes = await cluster.NodesAsync(member);
            Assert.True(nodes.All(n => n.Name != outsider.Node.Name), $"{member.Node.Name} lists {ThreeNodeCluster.Describe(nodes)}");
        }
        var own = Assert.Single(await cluster.NodesAsync(outsider));
        Assert.True(own.Self && own.Name == outsider.Node.Name, own.ToString());
    }

    [Fact]
    public async Task Install_use_remove_rotates_the_key_without_a_member_failing_and_the_old_key_is_locked_out()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output, extraNodes: 1);
        await cluster.AwaitAllAliveAsync();
        string oldKey = cluster.Key, newKey = ThreeNodeCluster.NewKey();
        // Who holds which key is learnt from the members' keyring notices (the first right away, then every 10 s).
        KeyringRecord first = new();
        await Eventually.UntilAsync(async () => (first = await KeysAsync(cluster.Shell(0))) is { Members: 3, Keys: [{ Primary: true, Members: 3 }] },
            TimeSpan.FromSeconds(15), "n1 to count the key on all three members", () => Describe(first));
        Assert.Equal(oldKey, first.Keys[0].Key);

        // Rotation from three different nodes: every step is cluster-wide.
        await KeysChangeAsync(cluster.Shell(0), "install", newKey);
        await Eventually.UntilAsync(async () => (await KeysAsync(cluster.Shell(1))).Keys.Count(k => k.Members == 3) == 2,
            TimeSpan.FromSeconds(10), "n2 to count both keys on all three members");
        await KeysChangeAsync(cluster.Shell(1), "use", newKey);
        await KeysChangeAsync(cluster.Shell(2), "remove", oldKey);

        var last = await KeysAsync(cluster.Shell(0));
        Assert.True(last is { Members: 3, Keys: [{ Primary: true, Members: 3 }] } && last.Keys[0].Key == newKey, Describe(last));
        await cluster.AwaitAllAliveAsync(TimeSpan.FromSeconds(5));
        // A member suspected and back within the rotation leaves no other trace than these log lines.
        var trouble = cluster.Agents.SelectMany(a => ThreeNodeCluster.MembershipTrouble.Matches(a.Output).Select(m => $"{a.Node.Name}: {m.Value}")).ToList();
        Assert.True(trouble.Count == 0, "membership changed during the rotation: " + string.Join("; ", trouble));

        var wide = await cluster.Shell(0).AxAsync("get", "nodes", "-o", "wide");
        Assert.True(wide.ExitCode == 0 && wide.StdOut.Split('\n')[0].Contains("ENCRYPTION"), wide.Describe());
        Assert.Equal(3, wide.StdOut.Split('\n').Skip(1).Count(line => line.TrimEnd().EndsWith(" on", StringComparison.Ordinal)));

        // A node that only has the removed key knocks and stays out.
        long before = 0;
        foreach (var agent in cluster.Agents) before += (await ThreeNodeCluster.StatsAsync(agent)).AuthFailures;
        var stale = await cluster.StartAgentAsync(cluster.Network.Nodes[3], key: oldKey);
        await AwaitAuthFailuresAsync(cluster, before);
        await AssertOutsiderAloneAsync(cluster, stale);

        // n2 restarts with its deployment's old --gossip-key: the saved keyring wins and it is back in.
        var n2 = cluster.Agents[1];
        await n2.StopAsync();
        cluster.Agents[1] = await n2.RestartAsync(cluster.Network);
        await cluster.AwaitAllAliveAsync();
        Assert.Contains("--gossip-key is not in the saved keyring", cluster.Agents[1].Output); // README: "… is logged"
        var afterRestart = await KeysAsync(cluster.Shell(1));
        Assert.True(afterRestart.Keys is [{ Primary: true }] && afterRestart.Keys[0].Key == newKey, Describe(afterRestart));
    }

    [Fact]
    public async Task A_keyless_agent_warns_shows_encryption_off_and_cannot_join_a_keyed_cluster()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output, extraNodes: 1);
        await cluster.AwaitAllAliveAsync();
        long before = 0;
        foreach (var agent in cluster.Agents) before += (await ThreeNodeCluster.StatsAsync(agent)).AuthFailures;
        var keyless = await cluster.StartAgentAsync(cluster.Network.Nodes[3], key: ThreeNodeCluster.NoKey);

        // README: "the agent logs `Gossip is NOT encrypted …`" at every start without a key: the warning is the promise.
        Assert.Contains("Gossip is NOT encrypted: anyone who can send UDP/TCP to port 7946 can join cluster axtest", keyless.Output);
        Assert.DoesNotContain(cluster.Agents, a => a.Output.Contains("Gossip is NOT encrypted"));
        await AwaitAuthFailuresAsync(cluster, before);
        await AssertOutsiderAloneAsync(cluster, keyless);

        var own = Assert.Single(await cluster.NodesAsync(keyless));
        Assert.Equal("off", own.Encryption);
        Assert.All(await cluster.NodesAsync(cluster.Agents[0]), n => Assert.Equal("on", n.Encryption));
        var keys = await cluster.Shell(keyless).AxAsync("keys", "list");
        Assert.True(keys.ExitCode == 1 && keys.StdErr.Trim().Split('\n').Length == 1 && keys.StdErr.Contains("not encrypted"), keys.Describe());
    }

    [Fact]
    public async Task Bad_keys_and_refused_changes_get_one_line_and_change_nothing()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        var shell = cluster.Shell(0);
        var cases = new (string[] Args, string Error)[]
        {
            (["keys", "install", "not-base64!"], "ax: the gossip key is not valid base64"),
            (["keys", "install", Convert.ToBase64String(new byte[20])], "ax: the gossip key must be base64 of 16, 24 or 32 bytes, not of 20"),
            (["keys", "use", ThreeNodeCluster.NewKey()], "ax: the key is not installed: install it first"),
            (["keys", "remove", cluster.Key], "ax: the primary key cannot be removed: use another key first"),
        };
        foreach (var (args, error) in cases)
        {
            var result = await shell.AxAsync(args);
            Assert.True(result.ExitCode == 1 && result.StdErr == error + "\n" && result.StdOut.Length == 0, result.Describe());
        }
        var usage = await shell.AxAsync("keys", "rotate");
        Assert.True(usage.ExitCode == 2 && usage.StdErr.StartsWith("ax: unknown keys command \"rotate\"", StringComparison.Ordinal), usage.Describe());
        var keyring = await KeysAsync(shell);
        Assert.True(keyring.Keys is [{ Primary: true }] && keyring.Keys[0].Key == cluster.Key, Describe(keyring));
        var table = await shell.AxAsync("keys", "list");
        var lines = table.StdOut.TrimEnd('\n').Split('\n');
        Assert.True(table.ExitCode == 0 && lines.Length == 2 && Regex.IsMatch(lines[0], "^KEY +PRIMARY +MEMBERS$")
                    && Regex.IsMatch(lines[1], $"^{Regex.Escape(cluster.Key)} +yes +[1-3]/3$"), table.Describe());

        // The keys never leave through the TCP REST port.
        var agent = cluster.Agents[0];
        var overTcp = await shell.RunAsync(["curl", "-sS", "-w", "\n%{http_code}", $"http://{agent.Node.Address}:{agent.RestPort}/api/v1/keys"]);
        Assert.True(!overTcp.StdOut.TrimEnd().EndsWith("200", StringComparison.Ordinal) && !overTcp.StdOut.Contains(cluster.Key), overTcp.Describe());
    }
}
