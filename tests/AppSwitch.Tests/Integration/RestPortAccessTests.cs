using System.Text.Json;
using AppSwitch.Common.Json;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 14, point 1: the TCP REST port, tried from another host on the node network (a namespace of the test
/// network without an agent) with real curl. /healthz is open; everything else needs the bearer token of
/// --api-token-file (re-read when the file changes); without a token file the port serves health only; it listens
/// on the node address only.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class RestPortAccessTests(ITestOutputHelper output)
{
    private const string Rule = """{"rules":[{"id":"reroute","destination":"web","route":{"backends":[{"tags":["evil"]}]}}]}""";

    private sealed record Answer(int Status, string Body)
    {
        public string Error() => JsonSerializer.Deserialize(Body, ApiJsonContext.Default.ApiError)!.Error;
    }

    /// <summary>curl from <paramref name="shell"/>'s node; the body and the status code of the answer.</summary>
    private static async Task<Answer> CurlAsync(NodeShell shell, string method, string url, string? token = null, string? body = null)
    {
        string[] command =
        [
            "curl", "-sS", "-X", method, "-w", "\n%{http_code}", "--max-time", "10",
            .. token is null ? [] : new[] { "-H", $"Authorization: Bearer {token}" },
            .. body is null ? [] : new[] { "-H", "Content-Type: application/json", "--data-binary", body },
            url,
        ];
        var result = await shell.RunAsync(command);
        Assert.True(result.ExitCode == 0, result.Describe());
        var cut = result.StdOut.LastIndexOf('\n');
        return new Answer(int.Parse(result.StdOut[(cut + 1)..]), result.StdOut[..cut]);
    }

    private static NodeShell Outsider(TestNetwork network) =>
        new(network, network.Nodes[1], network.Temp.NewSubdirectory("outsider"));

    [Fact]
    public async Task A_host_on_the_node_network_needs_the_token_for_everything_but_health()
    {
        await using var network = TestNetwork.Create(2);
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0]);
        var outsider = Outsider(network);
        var api = agent.RestUrl;

        var health = await CurlAsync(outsider, "GET", $"{api}/healthz");
        Assert.Equal(new Answer(200, "ok"), health);

        var anonymous = await CurlAsync(outsider, "GET", $"{api}/api/v1/apps");
        Assert.True(anonymous.Status == 401, anonymous.ToString());
        Assert.Equal("missing bearer token (Authorization: Bearer <token of --api-token-file>)", anonymous.Error());
        var wrong = await CurlAsync(outsider, "GET", $"{api}/api/v1/apps", token: "not-the-token");
        Assert.True(wrong.Status == 401 && wrong.Error() == "invalid bearer token", wrong.ToString());
        var right = await CurlAsync(outsider, "GET", $"{api}/api/v1/apps", token: agent.RestToken);
        Assert.True(right.Status == 200 && right.Body == "[]", right.ToString());

        // Writing rules (rerouting every client of a service) is what an attacker on the network wants.
        foreach (var token in new string?[] { null, "not-the-token", agent.RestToken + "x", agent.RestToken[..^1] })
        {
            var post = await CurlAsync(outsider, "POST", $"{api}/v1/rules", token, Rule);
            Assert.True(post.Status == 401, $"token {token}: {post}");
        }
        var delete = await CurlAsync(outsider, "DELETE", $"{api}/v1/rules?id=reroute");
        Assert.Equal(401, delete.Status);
        var shell = new NodeShell(network, agent);
        var rules = await shell.AxAsync("get", "rules", "-o", "json");
        Assert.True(rules.ExitCode == 0 && !rules.StdOut.Contains("reroute"), rules.Describe());
        Assert.Contains("invalid bearer token", agent.Output);

        var created = await CurlAsync(outsider, "POST", $"{api}/v1/rules", agent.RestToken, Rule);
        Assert.True(created.Status == 201, created.ToString());
    }

    [Fact]
    public async Task A_rotated_token_works_without_a_restart_and_the_old_one_stops_working()
    {
        await using var network = TestNetwork.Create(2);
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0]);
        var outsider = Outsider(network);
        var apps = $"{agent.RestUrl}/api/v1/apps";
        Assert.Equal(200, (await CurlAsync(outsider, "GET", apps, agent.RestToken)).Status);

        // As a rotated Kubernetes Secret appears: a new file renamed over the old one.
        const string rotated = "rotated-token-0123456789";
        var next = agent.TokenFile + ".new";
        await File.WriteAllTextAsync(next, rotated + "\n");
        File.Move(next, agent.TokenFile, overwrite: true);

        Assert.Equal(200, (await CurlAsync(outsider, "GET", apps, rotated)).Status);
        Assert.Equal(401, (await CurlAsync(outsider, "GET", apps, agent.RestToken)).Status);

        // Rewritten in place (same inode, other length) works too.
        await File.WriteAllTextAsync(agent.TokenFile, "third-token");
        Assert.Equal(200, (await CurlAsync(outsider, "GET", apps, "third-token")).Status);
        Assert.Equal(401, (await CurlAsync(outsider, "GET", apps, rotated)).Status);

        // A token file that disappears locks the port rather than opening it.
        File.Delete(agent.TokenFile);
        Assert.Equal(401, (await CurlAsync(outsider, "GET", apps, "third-token")).Status);
        Assert.Equal(200, (await CurlAsync(outsider, "GET", $"{agent.RestUrl}/healthz")).Status);
    }

    [Fact]
    public async Task Without_a_token_file_the_rest_port_serves_health_only()
    {
        await using var network = TestNetwork.Create(2);
        var agent = await AgentProcess.StartWithoutRestTokenAsync(network, network.Nodes[0]);
        var outsider = Outsider(network);

        Assert.Equal(new Answer(200, "ok"), await CurlAsync(outsider, "GET", $"{agent.RestUrl}/healthz"));
        foreach (var (method, path) in new[] { ("GET", "/api/v1/apps"), ("POST", "/v1/rules"), ("GET", "/v1/rules"), ("GET", "/api/v1/nosuch") })
        {
            var answer = await CurlAsync(outsider, method, $"{agent.RestUrl}{path}", token: "anything", body: method == "POST" ? Rule : null);
            Assert.True(answer.Status == 401, $"{method} {path}: {answer}");
            Assert.Equal("the REST port serves only /healthz when the agent has no --api-token-file; use `ax` on the node", answer.Error());
        }
        // The node itself still has the admin socket.
        var get = await new NodeShell(network, agent).AxAsync("get", "rules");
        Assert.True(get.ExitCode == 0, get.Describe());
    }

    [Fact]
    public async Task The_rest_port_listens_on_the_node_address_only()
    {
        await using var network = TestNetwork.Create(1);
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0]);
        var shell = new NodeShell(network, agent);
        var listening = await shell.RunAsync(["ss", "-Hltn", $"sport = :{agent.RestPort}"]);
        output.WriteLine(listening.StdOut);
        var local = Assert.Single(listening.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        Assert.Equal($"{agent.Node.Address}:{agent.RestPort}", local);
        var loopback = await shell.RunAsync(["curl", "-sS", "--max-time", "5", $"http://127.0.0.1:{agent.RestPort}/healthz"]);
        Assert.True(loopback.ExitCode == 7, "expected connection refused on 127.0.0.1: " + loopback.Describe());
    }
}
