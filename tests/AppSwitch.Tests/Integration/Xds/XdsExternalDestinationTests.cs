using System.Net;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Xds;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// Istio's outbound traffic policy applied by the agent: an "external" host (a second namespace of the test network,
/// plain http servers on 8080 and 8081, no agent) with a ServiceEntry for its 8080. With BlackHoleCluster
/// (REGISTRY_ONLY) an app under `ax run` reaches the ServiceEntry's address:port and is refused the other port; with
/// PassthroughCluster (ALLOW_ANY) both; under `--egress deny` the ServiceEntry opens nothing the node refuses.
/// </summary>
public sealed class XdsExternalDestinationTests(ITestOutputHelper output)
{
    private const string Api = "api.example.com";

    [Fact]
    public async Task A_service_entry_is_reachable_under_black_hole_the_rest_is_refused_and_node_egress_stays_the_ceiling()
    {
        using var sockets = new TempDirectory();
        await using var pilot = await StandInPilot.StartAsync(Path.Combine(sockets.Path, "istiod.sock"));
        await using var network = TestNetwork.Create(2);
        var outside = await StartOutsideHostAndPilotForwardAsync(sockets, pilot, network);
        var entry = ServiceEntryCluster(Api, 8080, DiscoveryType.Eds);
        pilot.Set(XdsTypeUrls.Cluster, entry, BlackHoleCluster());
        pilot.Set(XdsTypeUrls.Endpoint, Assignment(entry.Name, new IPEndPoint(IPAddress.Parse(outside.Address), 8080)));

        // The node allows everything: Istio's REGISTRY_ONLY leaves the ServiceEntry's address:port only.
        await using (var agent = await StartAgentAsync(network, pilot, []))
        {
            var shell = new NodeShell(network, agent);
            await WaitForAckAsync(shell, pilot, "the BlackHole and ServiceEntry clusters");
            await AssertReachAsync(shell, outside.Address, 8080, true);
            await AssertReachAsync(shell, outside.Address, 8081, false);

            // PassthroughCluster as well (istiod's sidecar mode sends both): ALLOW_ANY.
            pilot.Set(XdsTypeUrls.Cluster, entry, BlackHoleCluster(), PassthroughCluster());
            await WaitForAckAsync(shell, pilot, "the Passthrough cluster");
            await AssertReachAsync(shell, outside.Address, 8081, true);
            pilot.Set(XdsTypeUrls.Cluster, entry, BlackHoleCluster());
            await WaitForAckAsync(shell, pilot, "BlackHole alone again");
            await AssertReachAsync(shell, outside.Address, 8081, false);
        }

        // The node denies all but 8081: the ServiceEntry opens nothing the node refuses, and BlackHole still refuses 8081.
        pilot.Set(XdsTypeUrls.Cluster, entry, BlackHoleCluster(), PassthroughCluster());
        await using (var agent = await StartAgentAsync(network, pilot, ["--egress", "deny", "--egress-allow", $"{outside.Address}/32:8081"]))
        {
            var shell = new NodeShell(network, agent);
            await WaitForAckAsync(shell, pilot, "the clusters under --egress deny");
            await AssertReachAsync(shell, outside.Address, 8080, false); // ServiceEntry, node refuses
            await AssertReachAsync(shell, outside.Address, 8081, true); // node allows, Passthrough
            pilot.Set(XdsTypeUrls.Cluster, entry, BlackHoleCluster());
            await WaitForAckAsync(shell, pilot, "BlackHole under --egress deny");
            await AssertReachAsync(shell, outside.Address, 8081, false); // node allows, REGISTRY_ONLY refuses
        }
    }

    [Fact]
    public async Task Istios_sidecar_output_says_registry_only_by_its_catch_alls_and_ax_get_xds_shows_where_from()
    {
        using var sockets = new TempDirectory();
        await using var pilot = await StandInPilot.StartAsync(Path.Combine(sockets.Path, "istiod.sock"));
        await using var network = TestNetwork.Create(2);
        var outside = await StartOutsideHostAndPilotForwardAsync(sockets, pilot, network);
        // What istiod's sidecar generator sends for one ServiceEntry: both specials whatever the mode; the mode is in
        // the virtualOutbound listener's catch-all chain and the route configuration's catch-all virtual host.
        var entry = ServiceEntryCluster(Api, 8080, DiscoveryType.Eds);
        pilot.Set(XdsTypeUrls.Cluster, entry, PassthroughCluster(), BlackHoleCluster());
        pilot.Set(XdsTypeUrls.Endpoint, Assignment(entry.Name, new IPEndPoint(IPAddress.Parse(outside.Address), 8080)));
        SetMode(pilot, allowAny: false);

        await using var agent = await StartAgentAsync(network, pilot, []);
        var shell = new NodeShell(network, agent);
        await WaitForOutboundAsync(shell, "outbound: REGISTRY_ONLY (from listener virtualOutbound: catch-all chain virtualOutbound-catchall-tcp → BlackHoleCluster)");
        await AssertReachAsync(shell, outside.Address, 8080, true);
        await AssertReachAsync(shell, outside.Address, 8081, false);

        SetMode(pilot, allowAny: true);
        await WaitForOutboundAsync(shell, "outbound: ALLOW_ANY (from listener virtualOutbound: catch-all chain virtualOutbound-catchall-tcp → PassthroughCluster)");
        await AssertReachAsync(shell, outside.Address, 8081, true);

        SetMode(pilot, allowAny: false);
        await WaitForOutboundAsync(shell, "outbound: REGISTRY_ONLY (from listener virtualOutbound: catch-all chain virtualOutbound-catchall-tcp → BlackHoleCluster)");
        await AssertReachAsync(shell, outside.Address, 8081, false);
    }

    private static void SetMode(StandInPilot pilot, bool allowAny)
    {
        pilot.Set(XdsTypeUrls.Listener, IstioSidecarResources.HttpListener(8080), IstioSidecarResources.VirtualOutbound(allowAny));
        pilot.Set(XdsTypeUrls.Route, IstioSidecarResources.RouteConfig(8080, allowAny, IstioSidecarResources.ServiceHost(Api, 8080)));
    }

    /// <summary>Waits until `ax get xds` (the table a user reads) prints <paramref name="line"/>.</summary>
    private static async Task WaitForOutboundAsync(NodeShell shell, string line)
    {
        var last = "";
        await Eventually.UntilAsync(async () =>
        {
            var result = await shell.AxAsync("get", "xds");
            last = result.Describe();
            return result.ExitCode == 0 && result.StdOut.Split('\n').Contains(line);
        }, PilotNode.Wait, $"`ax get xds` shows \"{line}\"", () => last);
    }

    /// <summary>Node 1 as the outside host (http on 8080 and 8081); node 0's 127.0.0.1:15010 (istiod's plaintext
    /// port) → the stand-in, for every agent the test starts there.</summary>
    private static async Task<TestNode> StartOutsideHostAndPilotForwardAsync(TempDirectory sockets, StandInPilot pilot, TestNetwork network)
    {
        File.SetUnixFileMode(sockets.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var outside = network.Nodes[1];
        await OutsideHost.ServeHttpAsync(network, outside, 8080, 8081);
        network.Own(RunningProcess.Start("ip", network.Nodes[0].Exec("socat", $"TCP-LISTEN:{PilotNode.XdsPort},bind=127.0.0.1,fork,reuseaddr",
            $"UNIX-CONNECT:{pilot.UnixSocket}")));
        return outside;
    }

    private async Task<AgentProcess> StartAgentAsync(TestNetwork network, StandInPilot pilot, string[] flags)
    {
        output.WriteLine($"agent {string.Join(' ', flags)} (stand-in at {pilot.UnixSocket})");
        return await AgentProcess.StartAsync(network, network.Nodes[0], AgentProcess.DefaultRestPort,
            [.. flags, "--xds-address", $"127.0.0.1:{PilotNode.XdsPort}"]);
    }

    private static async Task WaitForAckAsync(NodeShell shell, StandInPilot pilot, string what)
    {
        var want = pilot.VersionOf(XdsTypeUrls.Cluster);
        await Eventually.UntilAsync(async () =>
        {
            var result = await shell.AxAsync("get", "xds", "-o", "json");
            if (result.ExitCode != 0) return false;
            var status = System.Text.Json.Nodes.JsonNode.Parse(result.StdOut)!["items"]![0]!.AsObject();
            return PilotNode.AckedVersion(status, "Cluster") == want && PilotNode.AckedVersion(status, "ClusterLoadAssignment") is not null;
        }, PilotNode.Wait, $"the agent ACKs {what}");
    }

    private static async Task AssertReachAsync(NodeShell shell, string address, int port, bool reach)
    {
        if (reach)
        {
            var result = await shell.RunUnderAxAsync([], CurlStatus($"http://{address}:{port}/"));
            Assert.True(result.ExitCode == 0 && result.StdOut == "200", $"{address}:{port}: " + result.Describe());
        }
        else ConnectProbe.AssertOutcome(await shell.RunUnderAxAsync([], ConnectProbe.Command(address, port)), "ECONNREFUSED");
    }
}
