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
        // Four wrong tokens from one host: one warning, not four (a flood must not flood the node's log: the log is what is tested).
        var warnings = agent.Output.Split('\n').Count(l => l.Contains($"on the REST port from {network.Nodes[1].Address}: invalid bearer token"));
        Assert.True(warnings == 1, agent.Output);

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
        var loopback = await shell.RunAsync(ConnectProbe.Command("127.0.0.1", agent.RestPort));
        ConnectProbe.AssertOutcome(loopback, "ECONNREFUSED");
    }

    /// <summary>
    /// openssl makes, in DIR: ca (the --api-client-ca), server (signed by ca, for IP), client (signed by ca) and rogue
    /// (a client certificate of another CA), each as NAME.pem + NAME.key.
    /// </summary>
    private const string MakePki = """
        set -eu
        cd "$1"; ip=$2
        ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
        ca() { openssl req -x509 $ec -keyout $1.key -out $1.pem -days 1 -subj /CN=$1 \
                 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null; }
        leaf() { openssl req $ec -keyout $1.key -out $1.csr -subj /CN=$1 2>/dev/null
                 printf '%s\n' "$3" > $1.ext
                 openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 1 -extfile $1.ext 2>/dev/null; }
        ca ca; ca other-ca
        leaf server ca "subjectAltName=IP:$ip"
        leaf client ca "extendedKeyUsage=clientAuth"
        leaf rogue other-ca "extendedKeyUsage=clientAuth"
        """;

    [Fact]
    public async Task With_a_client_ca_a_certificate_it_signed_replaces_the_token_and_others_fail_the_handshake()
    {
        await using var network = TestNetwork.Create(2);
        var pki = network.Temp.NewSubdirectory("pki");
        await CommandRunner.RunCheckedAsync("bash", "-c", MakePki, "make-pki", pki, network.Nodes[0].Address);
        string F(string name) => Path.Combine(pki, name);
        var agent = await AgentProcess.StartAsync(network, network.Nodes[0], AgentProcess.DefaultRestPort,
            "--api-cert", F("server.pem"), "--api-key", F("server.key"), "--api-client-ca", F("ca.pem"));
        var outsider = Outsider(network);
        var api = $"https://{agent.Node.Address}:{agent.RestPort}";
        string[] trust = ["--cacert", F("ca.pem")];
        string[] client = [.. trust, "--cert", F("client.pem"), "--key", F("client.key")];

        async Task<CommandResult> Curl(string[] tls, string method, string path, string? body = null) =>
            await outsider.RunAsync(["curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", "-X", method, .. tls,
                .. body is null ? [] : new[] { "-H", "Content-Type: application/json", "--data-binary", body }, $"{api}{path}"]);

        var health = await Curl(trust, "GET", "/healthz");
        Assert.True(health.ExitCode == 0 && health.StdOut == "ok\n200", health.Describe() + agent.Output);
        var anonymous = await Curl(trust, "GET", "/api/v1/apps");
        Assert.True(anonymous.ExitCode == 0 && anonymous.StdOut.EndsWith("\n401"), anonymous.Describe());
        var withCertificate = await Curl(client, "GET", "/api/v1/apps");
        Assert.True(withCertificate.ExitCode == 0 && withCertificate.StdOut == "[]\n200", withCertificate.Describe() + agent.Output);
        var created = await Curl(client, "POST", "/v1/rules", Rule);
        Assert.True(created.ExitCode == 0 && created.StdOut.EndsWith("\n201"), created.Describe());

        // A certificate of another CA does not get an answer at all (http_code 000: with TLS 1.3 the server drops the
        // connection after the handshake, curl says "empty reply" or an SSL error) and creates nothing.
        var rogue = await Curl([.. trust, "--cert", F("rogue.pem"), "--key", F("rogue.key")], "POST", "/v1/rules", Rule.Replace("reroute", "rogue"));
        Assert.True(rogue.ExitCode != 0 && rogue.StdOut.EndsWith("000"), rogue.Describe());
        var rules = await Curl(client, "GET", "/v1/rules");
        Assert.True(rules.ExitCode == 0 && rules.StdOut.Contains("\"reroute\"") && !rules.StdOut.Contains("\"rogue\""), rules.Describe());
        // The token still works next to certificates; plain HTTP does not reach the API.
        var token = await Curl([.. trust, "-H", $"Authorization: Bearer {agent.RestToken}"], "GET", "/v1/rules");
        Assert.True(token.ExitCode == 0 && token.StdOut.EndsWith("\n200"), token.Describe());
        var plain = await outsider.RunAsync(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
            $"http://{agent.Node.Address}:{agent.RestPort}/healthz"]);
        Assert.True(plain.ExitCode != 0 && plain.StdOut == "000", "plain HTTP got an HTTP answer: " + plain.Describe()); // not even a 401
    }

    [Fact]
    public async Task A_certificate_file_that_is_no_certificate_stops_the_daemon_with_one_line()
    {
        await using var network = TestNetwork.Create(1);
        var node = network.Nodes[0];
        var socketDir = network.Temp.NewSubdirectory("daemon");
        var notPem = network.Temp.WriteFile("not.pem", "hello\n");
        var result = await new NodeShell(network, node, socketDir).RunAsync([RepoLayout.RequireAx(), "daemon", "--socket-dir", socketDir,
            "--node-interface", node.Interface, "--api-cert", notPem, "--api-key", notPem], TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 1, result.Describe());
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"ax daemon: cannot load the REST port's certificate {notPem} with key {notPem}: ", line);
    }
}
