using System.Text.Json;
using System.Text.Json.Nodes;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Xds;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// An agent in a node namespace fed by the stand-in Pilot (served on a Unix socket; socat in the namespace forwards
/// the node's 127.0.0.1:15010 to it, as istiod's plaintext port): Istio's 80/20 weighted route over `reviews` v1/v2
/// splits real connections at connect — the servers carry no version label: a subset is the set of its EDS endpoints —;
/// a bad cluster is NACKed with its reason and shown by `ax get xds` while the rest stays applied; an endpoint aimed at
/// the agent's own port reaches nothing but table instances; with the stand-in gone, the last config keeps routing.
/// </summary>
public sealed class XdsRoutingTests(ITestOutputHelper output)
{
    private const int Port = 9080;
    private const string V1 = "198.18.17.1";
    private const string V2 = "198.18.17.2";
    private static readonly TimeSpan Wait = PilotNode.Wait;

    [Fact]
    public async Task An_80_20_istio_route_splits_2000_connections_a_bad_cluster_is_nacked_and_the_last_config_outlives_istiod()
    {
        using var sockets = new TempDirectory();
        await using var pilot = await StandInPilot.StartAsync(Path.Combine(sockets.Path, "istiod.sock"));
        File.SetUnixFileMode(sockets.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        pilot.Set(XdsTypeUrls.Cluster, EdsCluster("reviews", Port), EdsCluster("reviews", Port, "v1"), EdsCluster("reviews", Port, "v2"));
        pilot.Set(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", Port), Endpoint(V1), Endpoint(V2)),
            Assignment(ClusterName("reviews", Port, "v1"), Endpoint(V1)), Assignment(ClusterName("reviews", Port, "v2"), Endpoint(V2)));
        pilot.Set(XdsTypeUrls.Listener, ApiListener("reviews", Port));
        pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", Port, Weighted("reviews", Port, ("v1", 80), ("v2", 20))));

        await using var node = await PilotNode.StartAsync(output, pilot);
        foreach (var (ip, version) in new[] { (V1, "v1"), (V2, "v2") })
        {
            // No version label: the instance is in subset v2 because its address is in v2's ClusterLoadAssignment.
            var server = node.Shell.StartUnderAx(["--ip", ip, "--name", "reviews", "--labels", "zone=default"],
                VersionPrograms.VersionServer(version, Port));
            await node.Shell.WaitForServerAsync($"{ip}:{Port}", server: server);
        }
        await Eventually.UntilAsync(async () => AckedVersion(await XdsStatusAsync(node), "RouteConfiguration") == pilot.VersionOf(XdsTypeUrls.Route),
            Wait, "the agent ACKs istiod's routes");

        const int total = 2000;
        var split = await CountAsync(node, total);
        var v2Share = 100.0 * split.GetValueOrDefault("v2") / total;
        output.WriteLine($"80/20 xDS route over {total} connections: v2 {v2Share:0.00}% ({JsonSerializer.Serialize(split)})");
        Assert.Equal(total, split.Values.Sum());
        Assert.InRange(v2Share, 16.0, 24.0);

        // Attack: istiod points subset v2 at the agent's own REST port and sends everything there. Rules pick among the
        // table's instances only: v2 now holds none, so connections are refused — and never reach the agent.
        pilot.Upsert(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", Port, "v2"),
            new System.Net.IPEndPoint(System.Net.IPAddress.Parse(node.Node.Address), AgentProcess.DefaultRestPort)));
        pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", Port, Weighted("reviews", Port, ("v2", 100))));
        await Eventually.UntilAsync(async () => AckedVersion(await XdsStatusAsync(node), "RouteConfiguration") == pilot.VersionOf(XdsTypeUrls.Route),
            Wait, "the agent ACKs the all-v2 route");
        Assert.Equal(new Dictionary<string, int> { ["refused"] = 50 }, await CountAsync(node, 50));
        pilot.Upsert(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", Port, "v2"), Endpoint(V2)));
        pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", Port, Weighted("reviews", Port, ("v1", 80), ("v2", 20))));
        await Eventually.UntilAsync(async () => AckedVersion(await XdsStatusAsync(node), "RouteConfiguration") == pilot.VersionOf(XdsTypeUrls.Route),
            Wait, "the agent ACKs the 80/20 route again");

        // A cluster we cannot honour (consistent hashing) is refused and NACKed with the reason; the others stay.
        var hashed = EdsCluster("ratings", Port);
        hashed.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash;
        pilot.Set(XdsTypeUrls.Cluster, EdsCluster("reviews", Port), EdsCluster("reviews", Port, "v1"), EdsCluster("reviews", Port, "v2"), hashed);
        await Eventually.UntilAsync(() => pilot.Requests.Any(r => r.Kind == RequestKind.Nack), Wait, "a NACK at the stand-in");
        Assert.Contains("load-balancing policy RingHash is not supported", pilot.Requests.First(r => r.Kind == RequestKind.Nack).Request.ErrorDetail.Message);
        var table = await node.Shell.AxAsync("get", "xds");
        Assert.True(table.ExitCode == 0, table.Describe());
        output.WriteLine(table.StdOut);
        var refusal = Assert.Single(table.StdOut.Split('\n'), line => line.Contains(ClusterName("ratings", Port), StringComparison.Ordinal));
        Assert.Matches(@"^Cluster\s+outbound\|9080\|\|ratings\S+\s+load-balancing policy RingHash is not supported", refusal);

        // istiod goes away: the agent says so and routes by the last config it accepted.
        await pilot.StopAsync();
        await Eventually.UntilAsync(async () => (await XdsStatusAsync(node))["state"]!.GetValue<string>() == "backoff", Wait, "the agent notices");
        var without = await CountAsync(node, 500);
        output.WriteLine($"with istiod away, 500 connections: {JsonSerializer.Serialize(without)}");
        Assert.InRange(without.GetValueOrDefault("v2"), 50, 150);
    }

    private static System.Net.IPEndPoint Endpoint(string ip) => new(System.Net.IPAddress.Parse(ip), Port);

    private static Task<JsonObject> XdsStatusAsync(SingleNode node) => PilotNode.StatusAsync(node);

    private static string? AckedVersion(JsonObject status, string type) => PilotNode.AckedVersion(status, type);

    private static async Task<Dictionary<string, int>> CountAsync(SingleNode node, int connections)
    {
        var result = await node.Shell.RunUnderAxAsync([], VersionPrograms.CountingClient(V1, Port, connections), TimeSpan.FromSeconds(180));
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonSerializer.Deserialize<Dictionary<string, int>>(result.StdOut)!;
    }
}
