using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// The HTTP relay's error path and idle timeout (issue 16 point 5): one `http` instance that serves one connection
/// at a time (so a connection the relay fails to release blocks the next request) and misbehaves on request, raw
/// python clients under `ax run`, an agent with a 2 s idle timeout. Each failure answers its status, counts under its
/// cause (`ax get proxies`) and names its side in the log.
/// </summary>
public sealed class HttpRelayFailureTests(ITestOutputHelper output)
{
    private const string Ip = "198.18.2.1";
    private const int Port = 9080;
    // Well above the timers' granularity, small enough to keep the tests short.
    private const string IdleTimeout = "2s";

    /// <summary>HTTP/1.1 keep-alive server, one connection at a time: /ok answers "ok N" (N requests served so far);
    /// /stall-head and /timeout never answer, /stall-body sends a head and 10 of 100 bytes (both then wait for the
    /// relay to close); /junk answers with no HTTP, /bad-length with a bad Content-Length, /close closes.</summary>
    private const string OneAtATimeServer = """
        import socket
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9080)); s.listen()
        served = 0
        def until_closed(c):
            while c.recv(65536): pass
        while True:
            c, _ = s.accept(); f = c.makefile("rb")
            try:
                while True:
                    line = f.readline()
                    if not line: break
                    path, length = line.split()[1].decode(), 0
                    while True:
                        h = f.readline()
                        if h in (b"\r\n", b""): break
                        k, _, v = h.decode().partition(":")
                        if k.strip().lower() == "content-length": length = int(v)
                    if len(f.read(length) if length else b"") < length: break
                    if path.startswith(("/stall-head", "/timeout")): until_closed(c); break
                    if path.startswith("/stall-body"): c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10); until_closed(c); break
                    if path.startswith("/junk"): c.sendall(b"this is not http\r\n\r\n"); break
                    if path.startswith("/bad-length"): c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"); break
                    if path.startswith("/close"): break
                    served += 1; text = b"ok %d" % served
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))
            except Exception: pass  # a request it cannot parse ends the connection, not the server
            finally: f.close(); c.close()  # the file holds the socket open too
        """;

    /// <summary>Sends argv[2] (Python escapes) and reads until the relay closes or resets (30 s anti-hang); prints the status
    /// line, the body bytes received and the body.</summary>
    private const string RawClient = """
        import socket, sys
        s = socket.create_connection((sys.argv[1], 9080), timeout=30)
        s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:  # the relay refused a request it had not read whole: its answer came first
                break
            if not b: break
            data += b
        head, _, body = data.partition(b"\r\n\r\n")
        print(head.split(b"\r\n")[0].decode(), len(body), body.decode("latin1").strip())
        """;

    private static async Task<SingleNode> StartAsync(ITestOutputHelper output)
    {
        var node = await SingleNode.StartAsync(output, "--http-relay-idle-timeout", IdleTimeout);
        try
        {
            var server = node.Shell.StartUnderAx(["--ip", Ip, "--name", "front", "--labels", "version=v1,zone=default", "--protocol", "http"],
                ["python3", "-c", OneAtATimeServer]);
            await node.Shell.WaitForServerAsync($"{Ip}:{Port}", server: server);
            // A header rule puts every connection to `front` through the relay; X-Case: none routes to a version nobody has,
            // /timeout has a 1 s http_req_timeout (under the idle timeout), X-Case: delay a 3 s delay (over it).
            var rules = node.Network.Temp.WriteFile("front-rules.yaml", """
                rules:
                - id: front-v1
                  priority: 1
                  destination: front
                  route: {backends: [{tags: [version=v1]}]}
                - id: front-none
                  priority: 2
                  destination: front
                  match: {headers: {X-Case: "^none$"}}
                  route: {backends: [{tags: [version=v9]}]}
                - id: front-timeout
                  priority: 3
                  destination: front
                  route: {backends: [{tags: [version=v1]}], uri: {prefix: /timeout}, http_req_timeout: 1}
                - id: front-delay
                  destination: front
                  match: {headers: {X-Case: "^delay$"}}
                  actions: [{action: delay, probability: 1, duration: 3, tags: [version=v1]}]
                """);
            var created = await node.Shell.AxAsync("create", "rule", "-f", rules);
            Assert.True(created.ExitCode == 0, created.Describe());
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    private static async Task<string> SendAsync(SingleNode node, string raw)
    {
        var result = await node.Shell.RunUnderAxAsync([], ["python3", "-c", RawClient, Ip, raw], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Describe() + node.Diagnostics());
        return result.StdOut.Trim();
    }

    private static async Task<Dictionary<string, long>> FailuresAsync(SingleNode node) =>
        Assert.Single(await node.Shell.GetAsync<ProxyRecord>(), p => p.Id == "http-relay").Failures ?? [];

    [Fact]
    public async Task A_client_that_stalls_mid_body_gets_408_and_its_upstream_connection_is_freed_and_an_idle_keep_alive_connection_closes()
    {
        await using var node = await StartAsync(output);

        // 10 of 100 body bytes, then nothing: 408 and closed after the idle timeout. The server, busy with that one
        // request, takes the next only once the relay closed its upstream connection.
        Assert.Equal("HTTP/1.1 408 Request Timeout 20 408 Request Timeout",
            await SendAsync(node, @"POST /ok HTTP/1.1\r\nHost: f\r\nContent-Length: 100\r\n\r\n0123456789"));
        Assert.Equal("HTTP/1.1 200 OK 4 ok 1", await SendAsync(node, @"GET /ok HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n"));
        Assert.Contains("client failed (client-stalled", node.Diagnostics());

        // A keep-alive connection that sends nothing after its answer is closed by the relay (the client reads EOF).
        Assert.Equal("HTTP/1.1 200 OK 4 ok 2", await SendAsync(node, @"GET /ok HTTP/1.1\r\nHost: f\r\n\r\n"));
        // The relay's own wait (a rule's delay over the idle timeout) is nobody's idleness.
        Assert.Equal("HTTP/1.1 200 OK 4 ok 3", await SendAsync(node, @"GET /ok HTTP/1.1\r\nHost: f\r\nX-Case: delay\r\nConnection: close\r\n\r\n"));

        var failures = await FailuresAsync(node);
        Assert.Equal(new Dictionary<string, long> { ["client-stalled"] = 1, ["client-idle"] = 1 }, failures);
    }

    [Fact]
    public async Task An_upstream_that_stalls_gets_504_before_its_head_and_the_client_connection_closed_once_its_response_started()
    {
        await using var node = await StartAsync(output);

        Assert.Equal("HTTP/1.1 504 Gateway Timeout 20 504 Gateway Timeout", await SendAsync(node, @"GET /stall-head HTTP/1.1\r\nHost: f\r\n\r\n"));
        // Mid-body the response cannot be completed: the app gets what came (10 of 100 bytes) and then EOF.
        Assert.Equal("HTTP/1.1 200 OK 10 xxxxxxxxxx", await SendAsync(node, @"GET /stall-body HTTP/1.1\r\nHost: f\r\n\r\n"));
        // Both stalled connections were released: the one-at-a-time server answers again.
        Assert.Equal("HTTP/1.1 200 OK 4 ok 1", await SendAsync(node, @"GET /ok HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n"));

        Assert.Contains("upstream failed (upstream-stalled", node.Diagnostics());
        var instance = Assert.Single(await node.Shell.GetAsync<ServerRecord>(), s => s.ServiceAddr == $"{Ip}:{Port}");
        var failures = await FailuresAsync(node);
        Assert.Equal(new Dictionary<string, long> { ["upstream-stalled"] = 2, [$"upstream@{instance.Ipv4Addr}"] = 2 }, failures);
    }

    [Fact]
    public async Task Each_failure_answers_its_status_and_counts_under_its_cause_and_side()
    {
        await using var node = await StartAsync(output);

        string Status(string answer) => answer.Split(' ')[1];
        var cases = new (string Request, string Status, string Cause)[]
        {
            (@"GET / HTTP/1.1\r\nHost: f\r\nX-Big: " + new string('a', 70000) + @"\r\n\r\n", "431", "client-head-too-large"),
            (@"GET /\r\n\r\n", "400", "client-head-malformed"),
            (@"POST /ok HTTP/1.1\r\nHost: f\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "400", "client-framing-invalid"),
            (@"POST /ok HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400", "client-body-malformed"),
            (@"GET /ok HTTP/1.1\r\nHost: f\r\nX-Case: none\r\nConnection: close\r\n\r\n", "503", "no-instance"),
            (@"GET /junk HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n", "502", "upstream-head-malformed"),
            (@"GET /bad-length HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n", "502", "upstream-framing-invalid"),
            (@"GET /close HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n", "502", "upstream-closed"),
            (@"GET /timeout HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n", "504", "upstream-timeout"),
        };
        foreach (var (request, status, cause) in cases)
        {
            var answer = await SendAsync(node, request);
            Assert.True(Status(answer) == status, $"{cause}: {answer}");
            Assert.True((await FailuresAsync(node)).GetValueOrDefault(cause) == 1, $"{cause} not counted once: {string.Join(",", await FailuresAsync(node))}");
        }

        var log = node.Diagnostics();
        Assert.Contains("client failed (client-head-too-large", log);
        Assert.Contains("upstream failed (upstream-closed", log);
        var instance = Assert.Single(await node.Shell.GetAsync<ServerRecord>(), s => s.ServiceAddr == $"{Ip}:{Port}");
        // Upstream failures of the instance (no-instance had none to blame).
        Assert.Equal(4, (await FailuresAsync(node))[$"upstream@{instance.Ipv4Addr}"]);
        var wide = await node.Shell.AxAsync("get", "proxies", "-o", "wide");
        Assert.True(wide.ExitCode == 0 && wide.StdOut.Contains("FAILURES") && wide.StdOut.Contains("client-head-malformed=1"), wide.Describe());
    }
}
