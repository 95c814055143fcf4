using System.Security.Cryptography;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RelayClients;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// The L7 HTTP relay (issue 6 point 5): real HTTP/1.1 servers started as `http` instances of a named service,
/// curl and python clients under `ax run`. The servers echo the `Via` field, which only the relay adds.
/// </summary>
public sealed class HttpRelayTests(ITestOutputHelper output)
{
    private const int Port = 9080;
    private const string V1 = "198.18.2.1";
    private const string V2 = "198.18.2.2";

    /// <summary>HTTP/1.1 keep-alive server: GET answers "version path via=…", /slow after 3 s, /fail with 500,
    /// /big/N N bytes; POST answers "version length sha256" of the body (Content-Length or chunked).</summary>
    private static readonly string[] VersionServer =
    [
        "python3", "-c", """
        import hashlib, sys, time
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        VERSION, PORT = sys.argv[1], int(sys.argv[2])
        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass
            def answer(self, text, code=200):
                body = text.encode()
                self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            def do_GET(self):
                if self.path.startswith("/slow"): time.sleep(3)
                if self.path.startswith("/fail"): return self.answer("fail", 500)
                if self.path.startswith("/big/"):
                    n = int(self.path[5:]); block = bytes(range(256)) * 4096
                    self.send_response(200); self.send_header("Content-Length", str(n)); self.end_headers()
                    while n > 0: self.wfile.write(block[:min(n, len(block))]); n -= min(n, len(block))
                    return
                self.answer(f"{VERSION} {self.path} via={self.headers.get('Via', '-')}")
            def do_POST(self):
                h = hashlib.sha256(); n = 0
                def take(left):
                    nonlocal n
                    while left:
                        b = self.rfile.read(min(left, 1 << 20)); h.update(b); left -= len(b); n += len(b)
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b""): pass
                            break
                        take(size); self.rfile.readline()
                else:
                    take(int(self.headers.get("Content-Length", 0)))
                self.answer(f"{VERSION} {n} {h.hexdigest()} via={self.headers.get('Via', '-')}")
        ThreadingHTTPServer.allow_reuse_address = True
        ThreadingHTTPServer(("0.0.0.0", PORT), H).serve_forever()
        """,
    ];

    private static async Task StartReviewsAsync(SingleNode node, string service = "reviews", string protocol = "http", string v1 = V1,
        string v2 = V2)
    {
        foreach (var (ip, version) in new[] { (v1, "v1"), (v2, "v2") })
        {
            var server = node.Shell.StartUnderAx(["--ip", ip, "--name", service, "--labels", $"version={version},zone=default", "--protocol", protocol],
                [.. VersionServer, version, Port.ToString()]);
            await node.Shell.WaitForServerAsync($"{ip}:{Port}", server: server);
        }
    }

    private static async Task CreateRulesAsync(SingleNode node, string yaml)
    {
        var file = node.Network.Temp.WriteFile($"rules-{Guid.NewGuid():N}.yaml", yaml);
        var created = await node.Shell.AxAsync("create", "rule", "-f", file);
        Assert.True(created.ExitCode == 0, created.Describe());
    }

    private const string JasonRules = """
        rules:
        - id: reviews-default
          priority: 1
          destination: reviews
          route:
            backends:
            - tags: [version=v1]
        - id: reviews-jason
          priority: 2
          destination: reviews
          match:
            headers:
              Cookie: "^(.*?;)?(user=jason)(;.*)?$"
          route:
            backends:
            - tags: [version=v2]
        - id: reviews-rewrite
          priority: 3
          destination: reviews
          route:
            backends:
            - tags: [version=v1]
            uri: {prefix: /old, prefix_rewrite: /new}
        - id: reviews-timeout
          priority: 3
          destination: reviews
          route:
            backends:
            - tags: [version=v1]
            uri: {prefix: /slow}
            http_req_timeout: 1
        - id: reviews-retry
          priority: 3
          destination: reviews
          route:
            backends:
            - tags: [version=v1]
            uri: {prefix: /fail}
            http_req_retries: 2
        """;

    [Fact]
    public async Task A_cookie_rule_sends_jason_to_v2_and_others_to_v1_per_request_on_one_connection_with_rewrite_and_timeout()
    {
        await using var node = await SingleNode.StartAsync(output);
        await StartReviewsAsync(node);
        Assert.Equal("v1 / via=-", await CurlAsync(node, $"http://{V1}:{Port}/")); // no rule: the direct socket
        await CreateRulesAsync(node, JasonRules);

        Assert.Equal("v2 / via=1.1 appswitch", await CurlAsync(node, "-H", "Cookie: theme=dark;user=jason", $"http://{V1}:{Port}/"));
        Assert.Equal("v1 / via=1.1 appswitch", await CurlAsync(node, "-H", "Cookie: user=jasonx", $"http://{V1}:{Port}/"));
        Assert.Equal("v1 / via=1.1 appswitch", await CurlAsync(node, $"http://{V2}:{Port}/"));

        // One keep-alive connection: each request is routed by its own cookie; getpeername shows the address dialled.
        var perRequest = await PythonAsync(node, """
            import http.client, sys
            c = http.client.HTTPConnection(sys.argv[1], 9080, timeout=30)
            out = []
            for cookie in ["user=jason", "user=alice", "user=jason"]:
                c.request("GET", "/", headers={"Cookie": cookie}); r = c.getresponse(); out.append(r.read().decode().split()[0])
            print(" ".join(out), "%s:%d" % c.sock.getpeername()[:2])
            """, V1);
        Assert.Equal($"v2 v1 v2 {V1}:{Port}", perRequest.Trim());

        Assert.Equal("v1 /new/page?x=1 via=1.1 appswitch", await CurlAsync(node, $"http://{V1}:{Port}/old/page?x=1"));
        var timedOut = await CurlAsync(node, "-o", "/dev/null", "-w", "%{http_code}", $"http://{V1}:{Port}/slow");
        Assert.Equal("504", timedOut);
        // A 5xx is retried (idempotent, bodiless) twice before the last answer goes to the app.
        Assert.Equal("fail", await CurlAsync(node, $"http://{V1}:{Port}/fail"));
        Assert.Contains("answered 5xx; retrying (2/2)", node.Diagnostics());

        // A rule change applies to the next request of a connection already at the relay.
        var signal = Path.Combine(node.Network.Temp.Path, "rule-changed");
        await using (var client = node.Shell.StartUnderAx([], ["python3", "-u", "-c", """
            import http.client, os, sys, time
            c = http.client.HTTPConnection(sys.argv[1], 9080, timeout=30)
            def ask():
                c.request("GET", "/", headers={"Cookie": "user=jason"}); return c.getresponse().read().decode().split()[0]
            print("before", ask())
            while not os.path.exists(sys.argv[2]): time.sleep(0.02)
            print("after", ask())
            """, V1, signal]))
        {
            await client.WaitForOutputAsync(o => o.Contains("before"), TimeSpan.FromSeconds(30), "the first answer");
            var jasonGone = await node.Shell.AxAsync("delete", "rule", "reviews-jason");
            Assert.True(jasonGone.ExitCode == 0, jasonGone.Describe());
            await File.WriteAllTextAsync(signal, "");
            var finished = await client.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(finished.ExitCode == 0, finished.Describe());
            Assert.Equal("before v2\nafter v1\n", finished.StdOut);
        }

        // Rules gone: the next connection is direct again.
        var deleted = await node.Shell.AxAsync("delete", "rule", "reviews-default", "reviews-rewrite", "reviews-timeout", "reviews-retry");
        Assert.True(deleted.ExitCode == 0, deleted.Describe());
        Assert.Equal("v1 / via=-", await CurlAsync(node, "-H", "Cookie: user=jason", $"http://{V1}:{Port}/"));
    }

    [Fact]
    public async Task An_abort_rule_of_probability_half_answers_its_code_about_half_the_time_and_a_delay_rule_adds_its_delay()
    {
        await using var node = await SingleNode.StartAsync(output);
        await StartReviewsAsync(node);
        await CreateRulesAsync(node, """
            rules:
            - id: reviews-abort
              priority: 2
              destination: reviews
              match: {headers: {X-Fault: abort}}
              actions:
              - {action: abort, probability: 0.5, return_code: 418, tags: [version=v1]}
            - id: reviews-delay
              priority: 1
              destination: reviews
              match: {headers: {X-Fault: delay}}
              actions:
              - {action: delay, probability: 1, duration: 0.7, tags: [version=v1]}
              - {action: trace, log_key: fault, log_value: delayed, tags: [version=v1]}
            """);

        const int total = 400;
        var counts = await PythonAsync(node, """
            import http.client, sys, json, time
            c = http.client.HTTPConnection(sys.argv[1], 9080, timeout=30)
            codes = {}
            for _ in range(int(sys.argv[2])):
                c.request("GET", "/", headers={"X-Fault": "abort"}); r = c.getresponse(); r.read()
                codes[r.status] = codes.get(r.status, 0) + 1
            delays = []
            for _ in range(3):
                start = time.monotonic()
                c.request("GET", "/", headers={"X-Fault": "delay"}); r = c.getresponse(); body = r.read().decode()
                delays.append(time.monotonic() - start)
            print(json.dumps({"codes": codes, "delays": delays, "body": body}))
            """, V1, total.ToString());
        output.WriteLine(counts);
        var result = System.Text.Json.JsonDocument.Parse(counts).RootElement;
        var aborted = result.GetProperty("codes").TryGetProperty("418", out var a) ? a.GetInt32() : 0;
        var ok = result.GetProperty("codes").TryGetProperty("200", out var o) ? o.GetInt32() : 0;
        Assert.Equal(total, aborted + ok);
        // Binomial(400, 0.5): mean 200, sd 10; ±45 is 4.5 sd.
        Assert.InRange(aborted, 155, 245);
        foreach (var delay in result.GetProperty("delays").EnumerateArray()) Assert.True(delay.GetDouble() >= 0.7, $"delay {delay} < 0.7 s");
        Assert.Equal("v1 / via=1.1 appswitch", result.GetProperty("body").GetString());
        await Eventually.UntilAsync(() => node.Diagnostics().Contains("trace fault=delayed"), TimeSpan.FromSeconds(10), "the trace action's log line");
    }

    [Fact]
    public async Task The_relay_streams_chunked_and_50_MB_bodies_both_ways_and_keeps_pipelining_close_and_expect_100_continue()
    {
        await using var node = await SingleNode.StartAsync(output);
        await StartReviewsAsync(node);
        await CreateRulesAsync(node, """
            rules:
            - id: reviews-jason
              destination: reviews
              match: {headers: {Cookie: "user=jason"}}
              route: {backends: [{tags: [version=v2]}]}
            """);
        var url = $"http://{V1}:{Port}/";

        // 50 MB upload with Content-Length: curl sends Expect: 100-continue and waits for it.
        var upload = node.Network.Temp.WriteFile("upload.bin", "");
        var data = new byte[50 * 1024 * 1024];
        new Random(7).NextBytes(data);
        await File.WriteAllBytesAsync(upload, data);
        var hash = Convert.ToHexStringLower(SHA256.HashData(data));
        var verbose = await node.Shell.RunUnderAxAsync([], ["curl", "-sS", "-v", "--expect100-timeout", "30", "--data-binary", $"@{upload}", url],
            TimeSpan.FromSeconds(120));
        Assert.True(verbose.ExitCode == 0, verbose.Describe());
        Assert.Equal($"v1 {data.Length} {hash} via=1.1 appswitch", verbose.StdOut);
        Assert.Contains("HTTP/1.1 100 Continue", verbose.StdErr);

        // Chunked upload (no length known in advance).
        Assert.Equal($"v2 {data.Length} {hash} via=1.1 appswitch",
            await CurlAsync(node, "-H", "Cookie: user=jason", "-H", "Transfer-Encoding: chunked", "--data-binary", $"@{upload}", url));

        // 50 MB download, checked.
        var download = await PythonAsync(node, """
            import http.client, sys, hashlib
            c = http.client.HTTPConnection(sys.argv[1], 9080, timeout=60)
            c.request("GET", "/big/52428800"); r = c.getresponse(); h = hashlib.sha256(); n = 0
            while True:
                b = r.read(1 << 20)
                if not b: break
                h.update(b); n += len(b)
            expected = hashlib.sha256((bytes(range(256)) * 4096) * 50).hexdigest()
            print(n, h.hexdigest() == expected)
            """, V1);
        Assert.Equal("52428800 True", download.Trim());

        // Three pipelined requests in one write, then Connection: close on the last: three answers in order, then EOF.
        var pipelined = await PythonAsync(node, """
            import socket, sys
            s = socket.create_connection((sys.argv[1], 9080), timeout=30)
            s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nCookie: user=jason\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b: break
                data += b
            text = data.decode()
            answers = text.split("HTTP/1.1 200 OK\r\n")[1:]
            print(len(answers), [a.split("\r\n\r\n", 1)[1] for a in answers], "Connection: close" in answers[-1])
            """, V1);
        Assert.Equal("3 ['v2 /a via=1.1 appswitch', 'v1 /b via=1.1 appswitch', 'v1 /c via=1.1 appswitch'] True", pipelined.Trim());

        // Bad input: a head over 64 KiB gets 431, a malformed request line 400, each with a log line.
        var refused = await PythonAsync(node, """
            import socket, sys
            def ask(raw):
                s = socket.create_connection((sys.argv[1], 9080), timeout=30); s.sendall(raw)
                return s.recv(100).split(b"\r\n")[0].decode()
            print(ask(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"), "|", ask(b"GET /\r\n\r\n"))
            """, V1);
        Assert.Equal("HTTP/1.1 431 Request Header Fields Too Large | HTTP/1.1 400 Bad Request", refused.Trim());
        Assert.Contains("client failed (client-head-too-large", node.Diagnostics());
    }

    [Fact]
    public async Task Connections_to_services_without_request_level_rules_or_not_http_keep_the_direct_socket()
    {
        await using var node = await SingleNode.StartAsync(output);
        await StartReviewsAsync(node);
        await StartReviewsAsync(node, "ratings", "http", "198.18.2.11", "198.18.2.12");
        await StartReviewsAsync(node, "details", "tcp", "198.18.2.21", "198.18.2.22");
        await CreateRulesAsync(node, """
            rules:
            - id: ratings-l4
              destination: ratings
              route: {backends: [{tags: [version=v2]}]}
            - id: reviews-jason
              destination: reviews
              match: {headers: {Cookie: "user=jason"}}
              route: {backends: [{tags: [version=v2]}]}
            - id: details-jason
              destination: details
              match: {headers: {Cookie: "user=jason"}}
              route: {backends: [{tags: [version=v2]}]}
            """);
        // An L4 rule is applied at connect, without the relay.
        Assert.Equal("v2 / via=-", await CurlAsync(node, "-H", "Cookie: user=jason", $"http://198.18.2.11:{Port}/"));
        // A header rule on a tcp service cannot be applied (no relay; L4 passes it over).
        Assert.Equal("v1 / via=-", await CurlAsync(node, "-H", "Cookie: user=jason", $"http://198.18.2.21:{Port}/"));
        var relay = Assert.Single(await node.Shell.GetAsync<ProxyRecord>());
        Assert.Equal(("http-relay", "http", 0L), (relay.Id, relay.Proto, relay.Connections));
        Assert.EndsWith("services: details,reviews", relay.Dialers);
        // The http service with the header rule goes through the relay, which counts the connection.
        Assert.Equal("v2 / via=1.1 appswitch", await CurlAsync(node, "-H", "Cookie: user=jason", $"http://{V1}:{Port}/"));
        Assert.Equal(1, Assert.Single(await node.Shell.GetAsync<ProxyRecord>()).Connections);
        var table = await node.Shell.AxAsync("get", "proxies");
        Assert.True(table.ExitCode == 0 && table.StdOut.Contains("http-relay"), table.Describe());
    }

    [Fact]
    public async Task A_header_rule_created_on_one_node_routes_a_client_on_another_node_to_instances_on_both()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync(output);
        await cluster.AwaitAllAliveAsync();
        foreach (var (index, ip, version) in new[] { (0, V1, "v1"), (1, V2, "v2") })
        {
            var server = cluster.Shell(index).StartUnderAx(["--ip", ip, "--name", "reviews", "--labels", $"version={version},zone=default",
                "--protocol", "http"], [.. VersionServer, version, Port.ToString()]);
            await cluster.Shell(index).WaitForServerAsync($"{ip}:{Port}", server: server);
        }
        var file = cluster.Network.Temp.WriteFile("jason.yaml", JasonRules);
        var created = await cluster.Shell(0).AxAsync("create", "rule", "-f", file);
        Assert.True(created.ExitCode == 0, created.Describe());

        // From n3 (no instance there): jason's requests reach v2 on n2 through n3's relay once n3 knows rule and servers.
        async Task<string> AskFromN3(params string[] curl)
        {
            var result = await cluster.Shell(2).RunUnderAxAsync([], ["curl", "-sS", "--max-time", "10", .. curl, $"http://{V1}:{Port}/"]);
            return result.ExitCode == 0 ? result.StdOut : result.Describe();
        }
        string? last = null;
        await Eventually.UntilAsync(async () => (last = await AskFromN3("-H", "Cookie: user=jason")) == "v2 / via=1.1 appswitch",
            TimeSpan.FromSeconds(20), "n3 to route jason to v2 through its relay", () => last + cluster.Logs());
        Assert.Equal("v1 / via=1.1 appswitch", await AskFromN3());
    }
}
