using System.Text.Json;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Xds;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Common.Fault.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RelayClients;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// Istio's request-level traffic management from the stand-in Pilot, applied by the agent's HTTP relay (issue 17
/// points 2-4): `reviews` v1/v2 are http servers under `ax run` with no version label (a subset is its EDS
/// endpoints); curl and python clients under `ax run` see the header route, the faults, the retry, the timeout, the
/// rewrite, a route change on an open keep-alive connection, a refused route configuration in `ax get xds`, and the
/// last config kept across an istiod restart.
/// </summary>
public sealed class XdsHttpRouteTests(ITestOutputHelper output)
{
    private const int Port = 9080;
    private const string V1 = "198.18.19.1";
    private const string V2 = "198.18.19.2";

    /// <summary>
    /// HTTP/1.1 keep-alive server: answers "version path via=…"; /slow after 3 s; /flaky/CODE/ID answers CODE the
    /// first time it sees that path and 200 after.
    /// </summary>
    private static readonly string[] Server =
    [
        "python3", "-c", """
        import sys, time, threading
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        VERSION, PORT = sys.argv[1], int(sys.argv[2])
        seen, lock = set(), threading.Lock()
        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass
            def do_GET(self):
                code = 200
                if self.path.startswith("/slow"): time.sleep(3)
                if self.path.startswith("/flaky/"):
                    with lock:
                        if self.path not in seen: seen.add(self.path); code = int(self.path.split("/")[2])
                body = f"{VERSION} {self.path} via={self.headers.get('Via', '-')}".encode()
                self.send_response(code); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
        ThreadingHTTPServer.allow_reuse_address = True
        ThreadingHTTPServer(("0.0.0.0", PORT), H).serve_forever()
        """,
    ];

    private static EnvoyRoute WithHeader(EnvoyRoute route, string name, string exact)
    {
        route.Match.Headers.Add(new HeaderMatcher { Name = name, StringMatch = new() { Exact = exact } });
        return route;
    }

    private static EnvoyRoute WithFault(EnvoyRoute route, HTTPFault fault)
    {
        route.TypedPerFilterConfig[RouteTranslator.FaultFilter] = Any.Pack(fault);
        return route;
    }

    private static FractionalPercent Percent(double value) =>
        new() { Numerator = (uint)(value * 10_000), Denominator = FractionalPercent.Types.DenominatorType.Million }; // as istiod writes it

    /// <summary>The VirtualService of the test, as istiod's routes (first match wins); jason goes to <paramref name="jasonSubset"/>.</summary>
    private static RouteConfiguration Routes(string jasonSubset)
    {
        var abort = WithFault(WithHeader(ToSubset("abort", "reviews", Port, "v1"), "x-fault", "abort"),
            new HTTPFault { Abort = new FaultAbort { HttpStatus = 418, Percentage = Percent(50) } });
        var delay = WithFault(WithHeader(ToSubset("delay", "reviews", Port, "v1"), "x-fault", "delay"),
            new HTTPFault { Delay = new FaultDelay { FixedDelay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(700)), Percentage = Percent(100) } });
        var retry = ToSubset("retry", "reviews", Port, "v1");
        retry.Match.Prefix = "/flaky/";
        retry.Route_.RetryPolicy = new RetryPolicy { RetryOn = "retriable-status-codes", NumRetries = 2 }; // VirtualService retryOn: "503"
        retry.Route_.RetryPolicy.RetriableStatusCodes.Add(503);
        var slow = ToSubset("timeout", "reviews", Port, "v1");
        slow.Match.Prefix = "/slow";
        slow.Route_.Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        var rewrite = ToSubset("rewrite", "reviews", Port, "v1");
        rewrite.Match.Prefix = "/old/";
        rewrite.Route_.PrefixRewrite = "/new/";
        return RouteConfig("reviews", Port, WithHeader(ToSubset("jason", "reviews", Port, jasonSubset), "end-user", "jason"),
            abort, delay, retry, slow, rewrite, ToSubset("default", "reviews", Port, "v1"));
    }

    [Fact]
    public async Task Istio_header_fault_retry_timeout_and_rewrite_routes_go_through_the_http_relay_and_a_change_applies_to_the_next_request()
    {
        using var sockets = new TempDirectory();
        await using var pilot = await StandInPilot.StartAsync(Path.Combine(sockets.Path, "istiod.sock"));
        pilot.Set(XdsTypeUrls.Cluster, EdsCluster("reviews", Port), EdsCluster("reviews", Port, "v1"), EdsCluster("reviews", Port, "v2"));
        pilot.Set(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", Port), Endpoint(V1), Endpoint(V2)),
            Assignment(ClusterName("reviews", Port, "v1"), Endpoint(V1)), Assignment(ClusterName("reviews", Port, "v2"), Endpoint(V2)));
        pilot.Set(XdsTypeUrls.Listener, ApiListener("reviews", Port), ApiListener("ratings", Port));
        // Weights only: decided at connect, on the direct socket.
        pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", Port, Weighted("reviews", Port, ("v1", 100))));

        await using var node = await PilotNode.StartAsync(output, pilot);
        foreach (var (ip, version) in new[] { (V1, "v1"), (V2, "v2") })
        {
            var server = node.Shell.StartUnderAx(["--ip", ip, "--name", "reviews", "--labels", "zone=default", "--protocol", "http"],
                [.. Server, version, Port.ToString()]);
            await node.Shell.WaitForServerAsync($"{ip}:{Port}", server: server);
        }
        await PilotNode.WaitForAckAsync(node, pilot, XdsTypeUrls.Route, "the agent ACKs the weights-only route");
        Assert.Equal("v1 / via=-", await CurlAsync(node, "-H", "end-user: jason", $"http://{V2}:{Port}/")); // L4: no relay

        // The request-level routes, and a route configuration the relay cannot express: refused alone, with its reason.
        var ratings = RouteConfig("ratings", Port, ToSubset("headers", "ratings", Port, ""));
        ratings.VirtualHosts[0].Routes[0].Route_.RetryPolicy = new RetryPolicy { RetryOn = "retriable-headers", NumRetries = 1 };
        pilot.Set(XdsTypeUrls.Route, Routes(jasonSubset: "v2"), ratings);
        await Eventually.UntilAsync(() => pilot.Requests.Any(r => r.Kind == RequestKind.Nack && r.Type == "RouteConfiguration"), PilotNode.Wait,
            "the ratings routes NACKed");
        var refused = await node.Shell.AxAsync("get", "xds");
        Assert.True(refused.ExitCode == 0, refused.Describe());
        output.WriteLine(refused.StdOut);
        Assert.Matches(@"RouteConfiguration\s+outbound\|9080\|\|ratings\S+\s+virtual host \S+, route headers: retry_on ""retriable-headers"" is not supported",
            refused.StdOut);

        // Header route: jason → v2 (whichever address was dialled), everyone else → v1; both through the relay.
        await Eventually.UntilAsync(async () => (await CurlAsync(node, "-H", "end-user: jason", $"http://{V1}:{Port}/")).StartsWith("v2"),
            PilotNode.Wait, "the header route applied");
        Assert.Equal("v2 / via=1.1 appswitch", await CurlAsync(node, "-H", "end-user: jason", $"http://{V1}:{Port}/"));
        Assert.Equal("v1 / via=1.1 appswitch", await CurlAsync(node, "-H", "end-user: jasonx", $"http://{V2}:{Port}/"));
        Assert.Equal("v1 / via=1.1 appswitch", await CurlAsync(node, $"http://{V2}:{Port}/"));

        // Faults: abort 50% (418) over 400 requests, delay 0.7 s; jason's route matches first and has no fault.
        const int total = 400;
        var faults = JsonDocument.Parse(await PythonAsync(node, """
            import http.client, json, sys, time
            c = http.client.HTTPConnection(sys.argv[1], 9080, timeout=30)
            def ask(headers):
                c.request("GET", "/", headers=headers); r = c.getresponse(); body = r.read().decode(); return r.status, body
            codes = {}
            for _ in range(int(sys.argv[2])):
                status, _ = ask({"x-fault": "abort"}); codes[status] = codes.get(status, 0) + 1
            jason = sorted({ask({"x-fault": "abort", "end-user": "jason"})[0] for _ in range(40)})
            delays = []
            for _ in range(3):
                start = time.monotonic(); ask({"x-fault": "delay"}); delays.append(time.monotonic() - start)
            print(json.dumps({"codes": codes, "jason": jason, "delays": delays}))
            """, V1, total.ToString())).RootElement;
        output.WriteLine(faults.ToString());
        var codes = faults.GetProperty("codes");
        var aborted = codes.TryGetProperty("418", out var a) ? a.GetInt32() : 0;
        Assert.Equal(total, aborted + (codes.TryGetProperty("200", out var ok) ? ok.GetInt32() : 0));
        Assert.InRange(aborted, 155, 245); // Binomial(400, 0.5): sd 10, ±4.5 sd
        Assert.Equal([200], faults.GetProperty("jason").EnumerateArray().Select(e => e.GetInt32()));
        foreach (var delay in faults.GetProperty("delays").EnumerateArray()) Assert.True(delay.GetDouble() >= 0.7, $"delay {delay} < 0.7 s");

        // Retry on 503 (the server fails the first request of a path), not on 500; timeout → 504; prefix rewrite.
        Assert.Equal("v1 /flaky/503/a via=1.1 appswitch 200", await CurlAsync(node, "-w", " %{http_code}", $"http://{V1}:{Port}/flaky/503/a"));
        Assert.Equal("v1 /flaky/500/b via=1.1 appswitch 500", await CurlAsync(node, "-w", " %{http_code}", $"http://{V1}:{Port}/flaky/500/b"));
        Assert.Equal("504", await CurlAsync(node, "-o", "/dev/null", "-w", "%{http_code}", $"http://{V1}:{Port}/slow"));
        Assert.Equal("v1 /new/page?x=1 via=1.1 appswitch", await CurlAsync(node, $"http://{V1}:{Port}/old/page?x=1"));

        // A route change pushed by istiod applies to the next request of a keep-alive connection already at the relay.
        var signal = Path.Combine(node.Network.Temp.Path, "route-changed");
        await using (var client = node.Shell.StartUnderAx([], ["python3", "-u", "-c", """
            import http.client, os, sys, time
            c = http.client.HTTPConnection(sys.argv[1], 9080, timeout=30)
            def ask():
                c.request("GET", "/", headers={"end-user": "jason"}); return c.getresponse().read().decode().split()[0]
            print("before", ask())
            while not os.path.exists(sys.argv[2]): time.sleep(0.02)
            print("after", ask())
            """, V1, signal]))
        {
            await client.WaitForOutputAsync(o => o.Contains("before"), TimeSpan.FromSeconds(30), "the first answer");
            pilot.Set(XdsTypeUrls.Route, Routes(jasonSubset: "v1"));
            await PilotNode.WaitForAckAsync(node, pilot, XdsTypeUrls.Route, "the agent ACKs jason → v1");
            await File.WriteAllTextAsync(signal, "");
            var finished = await client.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(finished.ExitCode == 0, finished.Describe());
            Assert.Equal("before v2\nafter v1\n", finished.StdOut);
        }

        // istiod restarts: while it is away and after it is back, the last config routes every request the same.
        pilot.Set(XdsTypeUrls.Route, Routes(jasonSubset: "v2"));
        await PilotNode.WaitForAckAsync(node, pilot, XdsTypeUrls.Route, "the agent ACKs jason → v2 again");
        var streams = pilot.Requests.Select(r => r.Stream).Max();
        await pilot.StopAsync();
        await Eventually.UntilAsync(async () => (await PilotNode.StatusAsync(node))["state"]!.GetValue<string>() == "backoff", PilotNode.Wait,
            "the agent notices istiod is gone");
        Assert.Equal("v2 / via=1.1 appswitch", await CurlAsync(node, "-H", "end-user: jason", $"http://{V1}:{Port}/"));
        Assert.Equal("504", await CurlAsync(node, "-o", "/dev/null", "-w", "%{http_code}", $"http://{V1}:{Port}/slow"));
        await pilot.RestartAsync();
        await Eventually.UntilAsync(() => pilot.Requests.Any(r => r.Stream > streams && r.Kind == RequestKind.Ack && r.Type == "RouteConfiguration"),
            PilotNode.Wait, "the agent resubscribes to the restarted istiod and ACKs its routes");
        Assert.Equal("connected", (await PilotNode.StatusAsync(node))["state"]!.GetValue<string>());
        Assert.Equal("v2 / via=1.1 appswitch", await CurlAsync(node, "-H", "end-user: jason", $"http://{V1}:{Port}/"));
        Assert.Equal("v1 / via=1.1 appswitch", await CurlAsync(node, $"http://{V2}:{Port}/"));
    }

    private static System.Net.IPEndPoint Endpoint(string ip) => new(System.Net.IPAddress.Parse(ip), Port);
}
