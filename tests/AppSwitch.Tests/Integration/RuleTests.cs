using System.Text.Json;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;
using AppSwitch.Common.Rules;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Amalgam8 rules on one node: ax create/get/delete rule, routes and actions, refusals, the REST API, restarts.</summary>
public sealed class RuleTests(ITestOutputHelper output)
{
    private const string SplitAndFaults = """
        rules:
        - id: hw-split
          priority: 1
          destination: helloworld
          route:
            backends:
            - {tags: [version=v2], weight: 0.25}
            - tags: [version=v1]
        - id: ratings-delay
          destination: ratings
          match:
            source: {name: reviews, tags: [version=v2]}
            headers: {Cookie: "^(.*?;)?(user=jason)(;.*)?$"}
          actions:
          - {action: delay, probability: 1, duration: 7, tags: [version=v1]}
        """;

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<RuleList> RulesAsync(NodeShell shell)
    {
        var listed = await shell.AxAsync("get", "rules", "-o", "json");
        Assert.True(listed.ExitCode == 0, listed.Describe());
        return JsonSerializer.Deserialize(listed.StdOut, ApiJsonContext.Default.RuleList)!;
    }

    [Fact]
    public async Task Rules_from_a_yaml_file_are_listed_as_rules_routes_and_actions_then_deleted()
    {
        await using var node = await SingleNode.StartAsync(output);
        var file = node.Network.Temp.WriteFile("rules.yaml", SplitAndFaults);

        var created = await node.Shell.AxAsync("create", "rule", "-f", file);
        Assert.True(created.ExitCode == 0, created.Describe());
        Assert.Equal(["Rule 'hw-split' created successfully.", "Rule 'ratings-delay' created successfully."], Lines(created.StdOut));

        var rules = await node.Shell.AxAsync("get", "rules");
        Assert.True(rules.ExitCode == 0, rules.Describe());
        var table = Lines(rules.StdOut);
        Assert.StartsWith("ID", table[0]);
        Assert.Matches(@"^hw-split\s+helloworld\s+1\s+route\s+<none>\s+<none>\s+version=v2\(0\.25\),version=v1$", table[1]);
        Assert.Matches(@"^ratings-delay\s+ratings\s+0\s+action\s+reviews\[version=v2\]\s+Cookie:\^\(\.\*\?;\)\?\(user=jason\)\(;\.\*\)\?\$\s+delay\(version=v1,p=1,7s\)$", table[2]);

        var routes = await node.Shell.AxAsync("get", "routes");
        Assert.Equal(2, Lines(routes.StdOut).Length);
        Assert.Matches(@"^helloworld\s+hw-split\s+1\s+<none>\s+<none>\s+version=v2\(0\.25\),version=v1$", Lines(routes.StdOut)[1]);
        var actions = await node.Shell.AxAsync("get", "actions", "-o", "json");
        var byDestination = JsonSerializer.Deserialize(actions.StdOut, ApiJsonContext.Default.RulesByDestination)!;
        Assert.Equal(["ratings"], byDestination.Services.Keys);
        Assert.Equal("ratings-delay", Assert.Single(byDestination.Services["ratings"]).Id);

        // `get rules -o yaml` is a document `create rule -f` takes back.
        var yaml = await node.Shell.AxAsync("get", "rules", "-o", "yaml");
        Assert.True(yaml.ExitCode == 0, yaml.Describe());
        var deleted = await node.Shell.AxAsync("delete", "rule", "hw-split", "ratings-delay");
        Assert.True(deleted.ExitCode == 0, deleted.Describe());
        Assert.Equal(["Rule 'hw-split' deleted successfully.", "Rule 'ratings-delay' deleted successfully."], Lines(deleted.StdOut));
        var none = await node.Shell.AxAsync("get", "rules");
        Assert.True(none.ExitCode == 0 && none.StdOut.Length == 0 && none.StdErr.Trim() == "No resources found.", none.Describe());

        var again = await node.Shell.AxAsync("create", "rule", "-f", node.Network.Temp.WriteFile("again.yaml", yaml.StdOut));
        Assert.True(again.ExitCode == 0, again.Describe() + "\n" + yaml.StdOut);
        Assert.Equal(yaml.StdOut, (await node.Shell.AxAsync("get", "rules", "-o", "yaml")).StdOut);
    }

    [Fact]
    public async Task A_batch_with_bad_rules_creates_nothing_and_each_problem_is_one_line()
    {
        await using var node = await SingleNode.StartAsync(output);
        var file = node.Network.Temp.WriteFile("bad.json", """
            {"rules": [
              {"id": "ok", "destination": "a", "route": {"backends": [{"tags": ["v1"]}]}},
              {"id": "heavy", "destination": "a", "route": {"backends": [{"tags": ["v1"], "weight": 1.5}]}},
              {"id": "regex", "destination": "a", "match": {"headers": {"Cookie": "(("}}, "route": {"backends": [{"tags": ["v1"]}]}},
              {"id": "boom", "destination": "a", "actions": [{"action": "explode", "tags": ["v1"]}]}
            ]}
            """);
        var refused = await node.Shell.AxAsync("create", "rule", "-f", file);
        Assert.True(refused.ExitCode == 1, refused.Describe());
        var lines = Lines(refused.StdErr);
        Assert.Equal(3, lines.Length);
        Assert.Equal($"ax: {file}: rules[1].route.backends[0].weight: must be in (0, 1], not 1.5", lines[0]);
        Assert.StartsWith($"ax: {file}: rules[2].match.headers.Cookie: invalid regex: ", lines[1]);
        Assert.Equal($"ax: {file}: rules[3].actions[0].action: unknown action \"explode\" (delay, abort or trace)", lines[2]);
        Assert.Empty((await RulesAsync(node.Shell)).Rules);

        // The same batch over REST: 400 with every problem, nothing stored.
        using var http = UnixSocketHttp.Create(node.Agent.ApiSocket, TimeSpan.FromSeconds(10));
        var answer = await http.PostAsync("/v1/rules", new StringContent(await File.ReadAllTextAsync(file)));
        Assert.Equal(400, (int)answer.StatusCode);
        var errors = JsonSerializer.Deserialize(await answer.Content.ReadAsStringAsync(), ApiJsonContext.Default.RuleErrors)!;
        Assert.Equal(3, errors.Errors.Count);
        Assert.Empty((await RulesAsync(node.Shell)).Rules);

        var syntax = await node.Shell.AxAsync("create", "rule", "-f", node.Network.Temp.WriteFile("broken.yaml", "rules:\n- id: [a\n"));
        Assert.True(syntax.ExitCode == 1 && Lines(syntax.StdErr).Single().Contains("invalid YAML: line "), syntax.Describe());

        var good = node.Network.Temp.WriteFile("good.yaml", "- {id: only, destination: a, route: {backends: [{tags: [v1]}]}}\n");
        Assert.Equal(0, (await node.Shell.AxAsync("create", "rule", "-f", good)).ExitCode);
        var twice = await node.Shell.AxAsync("create", "rule", "-f", good);
        Assert.True(twice.ExitCode == 1 && Lines(twice.StdErr).Single().StartsWith("ax: rules[0].id: rule \"only\" already exists"), twice.Describe());

        var piped = await node.Shell.RunAsync(["bash", "-c", $"echo '{{\"id\": \"piped\", \"destination\": \"b\", \"route\": {{\"backends\": [{{\"tags\": [\"v1\"]}}]}}}}' | {RepoLayout.RequireAx()} create rule -f -"]);
        Assert.True(piped.ExitCode == 0 && piped.StdOut.Trim() == "Rule 'piped' created successfully.", piped.Describe());
        Assert.Equal(0, (await node.Shell.AxAsync("delete", "rule", "piped")).ExitCode);

        var usage = new (string[] Args, int Exit, string Line)[]
        {
            (["create", "rule"], 2, "ax: create rule needs -f FILE"),
            (["create", "rule", "-f", "/nonexistent/rules.yaml"], 1, "ax: cannot read /nonexistent/rules.yaml"),
            (["delete", "rule"], 2, "ax: delete rule needs at least one rule id"),
            (["delete", "rule", "missing"], 1, "ax: rule \"missing\" not found"),
            (["get", "rules", "-o", "xml"], 2, "ax: "),
        };
        foreach (var (args, exit, line) in usage)
        {
            var result = await node.Shell.AxAsync(args);
            Assert.True(result.ExitCode == exit && Lines(result.StdErr).Single().StartsWith(line), $"{string.Join(" ", args)}\n{result.Describe()}");
        }
        Assert.Equal(["only"], (await RulesAsync(node.Shell)).Rules.Select(r => r.Id));
    }

    [Fact]
    public async Task Controller_and_registry_answer_on_the_rest_port_and_rules_survive_an_agent_restart()
    {
        await using var node = await SingleNode.StartAsync(output);
        var rest = node.Agent.RestUrl;
        async Task<(int Status, string Body)> CurlAsync(string method, string path, string? body = null)
        {
            string[] command = ["curl", "-sS", "-X", method, "-w", "\n%{http_code}", .. node.Agent.CurlAuthorization, $"{rest}{path}",
                .. body is null ? [] : new[] { "--data-binary", body }];
            var result = await node.Shell.RunAsync(command);
            Assert.True(result.ExitCode == 0, result.Describe());
            var cut = result.StdOut.LastIndexOf('\n');
            return (int.Parse(result.StdOut[(cut + 1)..]), result.StdOut[..cut]);
        }

        var (status, body) = await CurlAsync("POST", "/v1/rules", SplitAndFaults);
        Assert.True(status == 201, body);
        Assert.Equal("""{"ids":["hw-split","ratings-delay"]}""", body);
        (status, body) = await CurlAsync("POST", "/v1/rules", """{"rules":[{"destination":"x","route":{"backends":[{"tags":["a"]}]}}]}""");
        Assert.Equal(201, status);
        var generated = JsonSerializer.Deserialize(body, ApiJsonContext.Default.RuleIds)!.Ids.Single();
        Assert.True(Guid.TryParse(generated, out _), body);

        (status, body) = await CurlAsync("PUT", "/v1/rules", """{"rules":[{"id":"hw-split","priority":5,"destination":"helloworld","route":{"backends":[{"tags":["version=v1"]}]}}]}""");
        Assert.True(status == 200, body);
        (status, body) = await CurlAsync("PUT", "/v1/rules", """{"rules":[{"id":"nope","destination":"a","route":{"backends":[{"tags":["v"]}]}}]}""");
        Assert.True(status == 404, body);
        Assert.Equal("rules[0].id: rule \"nope\" not found", JsonSerializer.Deserialize(body, ApiJsonContext.Default.ApiError)!.Error);
        (status, body) = await CurlAsync("GET", "/v1/rules/routes/helloworld");
        var routes = JsonSerializer.Deserialize(body, ApiJsonContext.Default.RulesByDestination)!;
        Assert.Equal(5, Assert.Single(routes.Services["helloworld"]).Priority);
        (status, body) = await CurlAsync("GET", "/v1/rules/actions");
        Assert.Equal(["ratings"], JsonSerializer.Deserialize(body, ApiJsonContext.Default.RulesByDestination)!.Services.Keys);
        (status, body) = await CurlAsync("DELETE", $"/v1/rules?id={generated}");
        Assert.True(status == 200, body);
        (status, body) = await CurlAsync("DELETE", "/v1/rules");
        Assert.True(status == 400 && JsonSerializer.Deserialize(body, ApiJsonContext.Default.ApiError)!.Error.StartsWith("name the rules to delete"), body);
        (status, _) = await CurlAsync("GET", "/health");
        Assert.Equal(200, status);
        (status, body) = await CurlAsync("POST", "/api/v1/instances", """{"service_name":"x"}""");
        Assert.True(status == 501 && JsonSerializer.Deserialize(body, ApiJsonContext.Default.ApiError)!.Error.Contains("ax run --name"), body);

        await node.Agent.KillAsync();
        var restarted = await node.Agent.RestartAsync(node.Network);
        var after = await RulesAsync(new NodeShell(node.Network, restarted));
        Assert.Equal(["hw-split", "ratings-delay"], after.Rules.Select(r => r.Id));
        Assert.Equal(5, after.Rules[0].Priority);
    }

    [Fact]
    public async Task Named_apps_are_service_instances_grouped_by_tag_set()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "hello"));
        var versions = new[] { ("198.18.1.1", "v1"), ("198.18.1.2", "v1"), ("198.18.1.3", "v2"), ("198.18.1.4", "v2") };
        var apps = new List<RunningProcess>();
        foreach (var (ip, version) in versions)
        {
            string[] options = ["--ip", ip, "--name", "helloworld", "--labels", $"version={version},kubernetes=", .. version == "v2" ? new[] { "--protocol", "http" } : []];
            apps.Add(node.Shell.StartUnderAx(options, PythonHttpServer(root)));
            await node.Shell.WaitForServerAsync($"{ip}:80", server: apps[^1]);
        }
        apps.Add(node.Shell.StartUnderAx(["--ip", "198.18.1.9"], PythonHttpServer(root))); // no name: no service
        await node.Shell.WaitForServerAsync("198.18.1.9:80", server: apps[^1]);

        var listed = await node.Shell.AxAsync("get", "services");
        Assert.True(listed.ExitCode == 0, listed.Describe());
        Assert.Equal(2, Lines(listed.StdOut).Length);
        Assert.Matches(@"^SERVICE\s+INSTANCES$", Lines(listed.StdOut)[0]);
        Assert.Matches(@"^helloworld\s+kubernetes,version=v1\(2\), kubernetes,version=v2\(2\)$", Lines(listed.StdOut)[1]);

        using var http = UnixSocketHttp.Create(node.Agent.ApiSocket, TimeSpan.FromSeconds(10));
        Assert.Equal("""{"services":["helloworld"]}""", await http.GetStringAsync("/api/v1/services"));
        var detail = JsonSerializer.Deserialize(await http.GetStringAsync("/api/v1/services/helloworld"), ApiJsonContext.Default.ServiceDetail)!;
        Assert.Equal(4, detail.Instances.Count);
        Assert.Equal(["http://198.18.1.3:80", "http://198.18.1.4:80", "tcp://198.18.1.1:80", "tcp://198.18.1.2:80"],
            detail.Instances.Select(i => $"{i.Endpoint.Type}://{i.Endpoint.Value}").Order(StringComparer.Ordinal));
        Assert.Equal(404, (int)(await http.GetAsync("/api/v1/services/nothing")).StatusCode);

        var badProtocol = await node.Shell.RunUnderAxAsync(["--protocol", "grpc"], ["true"]);
        Assert.True(badProtocol.ExitCode == 2 && badProtocol.StdErr.Contains("--protocol"), badProtocol.Describe());
        GC.KeepAlive(apps);
    }
}
