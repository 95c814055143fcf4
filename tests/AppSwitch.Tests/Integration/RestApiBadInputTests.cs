using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 3, point 3: the REST API of a running agent (TCP port and api.sock) answers garbage, unknown resources
/// and wrong methods with an error status and a JSON message, or closes the connection; never a crash or a hang.
/// </summary>
public sealed class RestApiBadInputTests(ITestOutputHelper output)
{
    /// <summary>
    /// Sends one raw request (chosen by name) to HOST:PORT and prints the status line that came back,
    /// "closed" when the agent closed without one, or "reset"; "timeout" (5 s without an answer; 15 s for the body
    /// that never comes, past Kestrel's 5 s grace for slow bodies) means it hung.
    /// Requests carry the agent's bearer token, so what is tested is the parsing, not the refusal of strangers.
    /// </summary>
    private const string RawClient = """
        import random, socket, sys
        host, port, case, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
        rnd = random.Random(7)
        payloads = {
            "garbage-line": b"GARBAGE\r\n\r\n",
            "bad-version": b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
            "binary": rnd.randbytes(4096),
            "tls-hello": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + rnd.randbytes(200),
            "huge-header": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n",
            "huge-url": b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            "no-host": b"GET /healthz HTTP/1.1\r\n\r\n",
            "nul-in-path": b"GET /api\x00/v1/apps HTTP/1.1\r\nHost: x\r\n\r\n",
            "bad-chunked": b"POST /v1/rules HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
            "bad-json-rules": b"POST /v1/rules HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{not json",
            "bad-json-vservice": b"POST /api/v1/vservices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{not json",
            "wrong-types-vservice": b'POST /api/v1/vservices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 96\r\n\r\n{"name":"x","ip":"198.18.9.2","backends":["198.18.1.1"],"ports":[{"vport":"eighty","aport":80}]}',
            "short-body": b"POST /api/v1/vservices HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
        }
        request = payloads[case].replace(b"Host: x\r\n", b"Host: x\r\nAuthorization: Bearer " + token + b"\r\n", 1)
        # No half-close: Kestrel takes a FIN as the client going away and drops the request unanswered.
        s = socket.create_connection((host, port), timeout=15 if case == "short-body" else 5)
        reply = b""
        try:
            try:
                s.sendall(request)
            except (ConnectionResetError, BrokenPipeError):
                pass  # answered and closed before it read everything: the answer may still be there
            while b"\r\n" not in reply:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            print("timeout")
            sys.exit(3)
        except ConnectionResetError:
            if not reply:
                print("reset")
                sys.exit(0)
        line = reply.split(b"\r\n", 1)[0].decode("latin-1")
        print(line if line else "closed")
        """;

    /// <summary>Holds 50 idle connections open while asking /healthz on a new one: prints that status line.</summary>
    private const string IdleThenHealthz = """
        import socket, sys
        host, port = sys.argv[1], int(sys.argv[2])
        idle = [socket.create_connection((host, port), timeout=10) for _ in range(50)]
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        print(reply.split(b"\r\n", 1)[0].decode())
        """;

    [Theory]
    // case, the answers that are acceptable (status code, or "closed"/"reset": the agent hung up)
    [InlineData("garbage-line", "400")]
    [InlineData("bad-version", "505")]
    [InlineData("binary", "400", "reset")]       // reset: answered and closed while the rest was still coming
    [InlineData("tls-hello", "400", "reset")]
    [InlineData("huge-header", "431", "reset")]
    [InlineData("huge-url", "414", "reset")]
    [InlineData("no-host", "400")]
    [InlineData("nul-in-path", "400")]
    // Bodies go to endpoints that parse one: a 405 would mean nothing looked at them.
    [InlineData("bad-chunked", "400")]
    [InlineData("bad-json-rules", "400")]
    [InlineData("bad-json-vservice", "400")]
    [InlineData("wrong-types-vservice", "400")]
    [InlineData("short-body", "400", "408")]
    public async Task Garbage_on_the_rest_port_gets_an_error_or_a_hang_up_and_the_agent_still_answers(string kind, params string[] acceptable)
    {
        await using var node = await SingleNode.StartAsync(output);
        var result = await node.Shell.RunAsync(["python3", "-c", RawClient, node.Node.Address, node.Agent.RestPort.ToString(), kind,
            node.Agent.RestToken], TimeSpan.FromSeconds(20));
        output.WriteLine($"{kind}: {result.StdOut.Trim()}");
        Assert.True(result.ExitCode == 0, result.Describe());
        var answer = result.StdOut.Trim();
        var status = answer.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? answer.Split(' ')[1] : answer;
        Assert.True(acceptable.Contains(status), $"{kind}: got \"{answer}\", expected one of {string.Join(", ", acceptable)}");

        Assert.False(node.Agent.HasExited, node.Diagnostics());
        Assert.True(await node.Agent.IsHealthyAsync(), "api.sock no longer answers /healthz\n" + node.Diagnostics());
        var get = await node.Shell.AxAsync("get", "apps");
        Assert.True(get.ExitCode == 0, get.Describe());
    }

    [Theory]
    // method, path, status, the JSON body
    [InlineData("GET", "/api/v1/nosuchthing", 404, """{"error":"no such resource: /api/v1/nosuchthing"}""")]
    [InlineData("GET", "/", 404, """{"error":"no such resource: /"}""")]
    [InlineData("DELETE", "/api/v1/apps", 405, """{"error":"method not allowed: DELETE /api/v1/apps"}""")]
    [InlineData("POST", "/api/v1/servers", 405, """{"error":"method not allowed: POST /api/v1/servers"}""")]
    [InlineData("PUT", "/healthz", 405, """{"error":"method not allowed: PUT /healthz"}""")]
    public async Task Unknown_resources_and_wrong_methods_get_a_json_error_on_both_listeners(string method, string path, int status, string body)
    {
        await using var node = await SingleNode.StartAsync(output);
        string[] curl = ["curl", "-sS", "-X", method, "-H", "Content-Type: application/json", "--data-binary", "{\"bad\":", "-w", "\n%{http_code} %{content_type}"];
        if (method == "GET") curl = ["curl", "-sS", "-w", "\n%{http_code} %{content_type}"];
        var overTcp = await node.Shell.RunAsync([.. curl, .. node.Agent.CurlAuthorization, $"{node.Agent.RestUrl}{path}"]);
        var overUnix = await node.Shell.RunAsync([.. curl, "--unix-socket", node.Agent.ApiSocket, $"http://agent{path}"]);
        foreach (var result in new[] { overTcp, overUnix })
        {
            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Equal($"{body}\n{status} application/json", result.StdOut);
        }
    }

    [Fact]
    public async Task Idle_connections_do_not_hold_up_other_requests()
    {
        await using var node = await SingleNode.StartAsync(output);
        var result = await node.Shell.RunAsync(["python3", "-c", IdleThenHealthz, node.Node.Address, node.Agent.RestPort.ToString()],
            TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 0 && result.StdOut.Trim() == "HTTP/1.1 200 OK", result.Describe());
    }
}
