using System.Text.Json;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 18 point 3: `/metrics` in the Prometheus text format. Real work under `ax run` (connects that succeed and one
/// that is refused, DNS queries, requests through the HTTP relay), a scrape with curl on the REST port (no token: the
/// scrape is open) and Prometheus' own Python text parser; the counts must have moved by exactly what was done.
/// </summary>
public sealed class MetricsTests(ITestOutputHelper output)
{
    private const string Server = "198.18.3.1";
    private static readonly string Parser = Path.Combine(RepoLayout.HelpersDir, "prom_samples.py");
    private static readonly string DnsQuery = Path.Combine(RepoLayout.HelpersDir, "dns_query.py");
    // Debian's python3 has python3-prometheus-client; a python3 earlier on PATH (pyenv) may not.
    private const string DebianPython = "/usr/bin/python3";

    private const string WebRule = """
        rules:
        - id: web-v1
          priority: 1
          destination: web
          route:
            backends:
            - tags: [version=v1]
        - id: web-beta
          priority: 2
          destination: web
          match:
            headers:
              Cookie: "^(.*?;)?(user=beta)(;.*)?$"
          route:
            backends:
            - tags: [version=v1]
        """;

    [Fact]
    public async Task A_scrape_parses_as_prometheus_text_and_counts_connects_dns_queries_and_relayed_requests()
    {
        // The upstream is never asked (every name below is the agent's): set so that the host's resolv.conf is not read.
        await using var node = await SingleNode.StartAsync(output, "--dns-servers", "127.0.0.1:5353");
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "metrics"));
        var server = node.Shell.StartUnderAx(["--ip", Server, "--name", "web", "--labels", "version=v1,zone=default", "--protocol", "http"],
            PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{Server}:80", server: server);
        var before = await ScrapeAsync(node);

        // Three connects that succeed and one refused (nothing serves port 81), all blocking, in one app.
        var connects = await node.Shell.RunUnderAxAsync([], ["python3", "-c", $$"""
            import socket
            for _ in range(3): socket.create_connection(("{{Server}}", 80), timeout=10).close()
            try: socket.create_connection(("{{Server}}", 81), timeout=10)
            except ConnectionRefusedError: print("refused")
            """]);
        Assert.True(connects.ExitCode == 0 && connects.StdOut.Trim() == "refused", connects.Describe());
        foreach (var (name, expected) in new[] { ("web", $"NOERROR {Server}"), ("nosuch.appswitch.local", "NXDOMAIN") })
        {
            var query = await node.Shell.RunUnderAxAsync([], ["python3", DnsQuery, name]);
            Assert.True(query.ExitCode == 0 && query.StdOut.Trim() == expected, query.Describe());
        }
        // With a header rule for `web` its requests go through the HTTP relay: one found (200), one not (404).
        var rules = await node.Shell.AxAsync("create", "rule", "-f", node.Network.Temp.WriteFile("rules.yaml", WebRule));
        Assert.True(rules.ExitCode == 0, rules.Describe());
        foreach (var (path, status) in new[] { ("/", "200"), ("/missing", "404") })
        {
            var curl = await node.Shell.RunUnderAxAsync([], CurlStatus($"http://{Server}{path}"));
            Assert.True(curl.ExitCode == 0 && curl.StdOut == status, curl.Describe());
        }

        // Gauges are read at the scrape: the clients' apps leave the table shortly after they exit.
        Scrape after = before;
        await Eventually.UntilAsync(async () => (after = await ScrapeAsync(node)).Value("appswitch_apps", ("origin", "local")) == 1,
            TimeSpan.FromSeconds(30), "only the server's app left in the table");

        AssertDelta(1, before, after, "appswitch_trapped_calls_total", ("syscall", "connect"), ("outcome", "ECONNREFUSED"));
        // A connect the agent made for the app is answered at once (ok, or EINPROGRESS) or on the completion thread (pending).
        var madeBefore = before.Sum("appswitch_trapped_calls_total", s => s.Is("syscall", "connect") && s.IsAny("outcome", "ok", "EINPROGRESS", "pending"));
        var madeAfter = after.Sum("appswitch_trapped_calls_total", s => s.Is("syscall", "connect") && s.IsAny("outcome", "ok", "EINPROGRESS", "pending"));
        Assert.Equal(3 + 2, madeAfter - madeBefore); // python's three, curl's two (to the HTTP relay)
        // Every trapped connect is timed once.
        Assert.Equal(after.Sum("appswitch_trapped_calls_total", s => s.Is("syscall", "connect")) - before.Sum("appswitch_trapped_calls_total", s => s.Is("syscall", "connect")),
            after.Delta(before, "appswitch_connect_duration_seconds_count"));
        Assert.Equal(after.Value("appswitch_connect_duration_seconds_count"), after.Value("appswitch_connect_duration_seconds_bucket", ("le", "+Inf")));

        AssertDelta(1, before, after, "appswitch_dns_queries_total", ("answer", "address"));
        AssertDelta(1, before, after, "appswitch_dns_queries_total", ("answer", "nxdomain"));
        AssertDelta(1, before, after, "appswitch_http_relay_responses_total", ("code", "200"));
        AssertDelta(1, before, after, "appswitch_http_relay_responses_total", ("code", "404"));
        Assert.Equal(2, after.Value("appswitch_relay_connections_total", ("proto", "http")));
        Assert.True(after.Delta(before, "appswitch_state_writes_total", ("result", "ok")) > 0, "the apps' comings and goings were saved");

        Assert.Equal(1, after.Value("appswitch_servers", ("origin", "local")));
        Assert.Equal(1, after.Value("appswitch_services"));
        Assert.Equal(2, after.Value("appswitch_rules"));
        Assert.Equal(1, after.Value("appswitch_gossip_members", ("state", "alive")));
        // Every family declares its type (the parser says "unknown" for one without a TYPE line).
        Assert.All(after.Families.Where(f => f.Key.StartsWith("appswitch_")), f => Assert.NotEqual("unknown", f.Value));
    }

    [Fact]
    public async Task The_scrape_is_open_on_the_rest_port_and_served_on_api_sock_while_the_rest_of_the_api_still_needs_the_token()
    {
        await using var node = await SingleNode.StartAsync(output);
        var rest = await node.Shell.RunAsync(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{content_type}", $"{node.Agent.RestUrl}/metrics"]);
        Assert.True(rest.ExitCode == 0 && rest.StdOut == "200 text/plain; version=0.0.4; charset=utf-8", rest.Describe());
        var apps = await node.Shell.RunAsync(CurlStatus($"{node.Agent.RestUrl}/api/v1/apps"));
        Assert.True(apps.ExitCode == 0 && apps.StdOut == "401", apps.Describe());

        using var api = UnixSocketHttp.Create(node.Agent.ApiSocket, TimeSpan.FromSeconds(10));
        var text = await api.GetStringAsync("http://localhost/metrics");
        var parsed = await ParseAsync(node, text);
        Assert.Equal("counter", parsed.Families["appswitch_trapped_calls"]);
        Assert.Equal("histogram", parsed.Families["appswitch_connect_duration_seconds"]);
    }

    private static void AssertDelta(double expected, Scrape before, Scrape after, string name, params (string Label, string Value)[] labels)
    {
        var delta = after.Delta(before, name, labels);
        Assert.True(delta == expected, $"{name}{{{string.Join(",", labels.Select(l => $"{l.Label}={l.Value}"))}}} moved by {delta}, not {expected}; " +
            $"after: {string.Join("; ", after.Samples.Where(s => s.Name == name).Select(s => $"{string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}"))} {s.Value}"))}");
    }

    private static async Task<Scrape> ScrapeAsync(SingleNode node)
    {
        var file = Path.Combine(node.Network.Temp.Path, $"metrics-{Guid.NewGuid():N}.txt");
        var curl = await node.Shell.RunAsync(["curl", "-sS", "--fail", "-o", file, $"{node.Agent.RestUrl}/metrics"]);
        Assert.True(curl.ExitCode == 0, curl.Describe());
        return await ParseFileAsync(node, file);
    }

    private static Task<Scrape> ParseAsync(SingleNode node, string text) =>
        ParseFileAsync(node, node.Network.Temp.WriteFile($"metrics-{Guid.NewGuid():N}.txt", text));

    private static async Task<Scrape> ParseFileAsync(SingleNode node, string file)
    {
        var parsed = await node.Shell.RunAsync([DebianPython, Parser, file]);
        Assert.True(parsed.ExitCode == 0, parsed.Describe() + "\n" + File.ReadAllText(file));
        return Scrape.FromJson(parsed.StdOut);
    }

    /// <summary>One scrape as the parser read it: family types and samples.</summary>
    private sealed record Scrape(Dictionary<string, string> Families, List<Sample> Samples)
    {
        public static Scrape FromJson(string json)
        {
            using var document = JsonDocument.Parse(json);
            var families = document.RootElement.GetProperty("families").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            var samples = document.RootElement.GetProperty("samples").EnumerateArray().Select(s => new Sample(s[0].GetString()!,
                s[1].EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!),
                s[2].ValueKind == JsonValueKind.Number ? s[2].GetDouble() : double.NaN)).ToList();
            return new Scrape(families, samples);
        }

        /// <summary>The sample with exactly these labels; 0 when the series does not exist (yet).</summary>
        public double Value(string name, params (string Label, string Value)[] labels) =>
            Samples.SingleOrDefault(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Is(l.Label, l.Value)))?.Value ?? 0;

        public double Delta(Scrape before, string name, params (string Label, string Value)[] labels) =>
            Value(name, labels) - before.Value(name, labels);

        public double Sum(string name, Func<Sample, bool> which) => Samples.Where(s => s.Name == name && which(s)).Sum(s => s.Value);
    }

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value)
    {
        public bool Is(string label, string value) => Labels.GetValueOrDefault(label) == value;
        public bool IsAny(string label, params string[] values) => values.Contains(Labels.GetValueOrDefault(label));
    }
}
