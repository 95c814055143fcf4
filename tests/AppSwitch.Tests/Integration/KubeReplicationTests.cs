using System.Diagnostics;
using AppSwitch.Common.Model;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// `--replication kube` (issue 20 point 4): two agents in two node namespaces, gossip off, share their table only
/// through the API server stand-in (deploy/appswitchnodes.yaml's CRD stored in it): each writes its AppSwitchNode
/// object and renews its Lease, and watches the others'. A server on node 1 is listed and reached on node 2; its
/// removal and its agent's death (the Lease running out) reach node 2 too.
/// </summary>
public sealed class KubeReplicationTests(ITestOutputHelper output)
{
    private const string Vip = VirtualIps.Server;
    private static readonly string ServiceAddr = $"{Vip}:80";
    private const int LeaseSeconds = 6;
    private static readonly string[] Flags = ["--replication", "kube", "--replication-lease", LeaseSeconds.ToString(), "--gossip-port", "0"];
    private const string AppSwitchNodes = "/apis/appswitch.io/v1/appswitchnodes";
    private const string Leases = "/apis/coordination.k8s.io/v1/leases";
    /// <summary>Anti-hang bound: start-up, a few Lease periods and the load of a shared machine.</summary>
    private static readonly TimeSpan AntiHang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_server_on_node_1_reaches_node_2_through_the_API_server_and_leaves_when_removed_and_when_its_agent_dies()
    {
        await using var bed = await KubernetesTestbed.StartAsync(output, 2, StoreCrd, Flags);
        var n1 = bed.Shell;
        var n2 = new NodeShell(bed.Network, bed.Agents[1]);
        var root = DocumentRoot(bed.Network.Temp, "www", ("index.html", "served by n1"));
        var server = n1.StartUnderAx(["--ip", Vip], PythonHttpServer(root));
        await n1.WaitForServerAsync(ServiceAddr, server: server);

        var clock = Stopwatch.StartNew();
        await Eventually.UntilAsync(async () => (await ServersAsync(n2)).Contains("n1"), AntiHang,
            $"n2 to list n1's server {ServiceAddr}", () => Logs(bed));
        output.WriteLine($"n1's server listed on n2 {clock.ElapsedMilliseconds} ms after n1 listed it");
        // What carried it: n1's own object and Lease in the API server, no gossip.
        var node = bed.Api.Get(AppSwitchNodes, "", "n1");
        Assert.NotNull(node);
        Assert.Equal(("n1", bed.Network.Nodes[0].Address), ((string?)node["spec"]?["node"], (string?)node["spec"]?["address"]));
        Assert.Contains(Vip, node["spec"]!["state"]!.ToJsonString());
        Assert.Equal("n1", (string?)bed.Api.Get(Leases, "kube-system", "appswitch-n1")?["spec"]?["holderIdentity"]);
        var stats = await ThreeNodeCluster.StatsAsync(bed.Agents[1]);
        Assert.True(stats is { Gossip: false, MessagesReceived: 0 }, stats.ToString());

        var curl = await n2.RunUnderAxAsync(["--ip", VirtualIps.Client], CurlBodyAndStatus($"http://{Vip}/index.html"));
        Assert.True(curl.ExitCode == 0, curl.Describe() + "\n" + Logs(bed));
        Assert.Equal("served by n1\n200", curl.StdOut);

        // The server goes: n1 rewrites its object and n2 forgets the server.
        await server.StopAsync(TimeSpan.FromSeconds(5));
        await Eventually.UntilAsync(async () => (await ServersAsync(n2)).Count == 0, AntiHang,
            $"n2 to drop n1's stopped server {ServiceAddr}", () => Logs(bed));

        // A new server, then n1's agent is killed: nothing is written any more, the Lease runs out and n2 drops n1.
        var again = n1.StartUnderAx(["--ip", Vip], PythonHttpServer(root));
        await Eventually.UntilAsync(async () => (await ServersAsync(n2)).Contains("n1"), AntiHang,
            $"n2 to list n1's new server {ServiceAddr}", () => again.Describe() + Logs(bed));
        await bed.Agents[0].KillAsync();
        var killed = Stopwatch.StartNew();
        await Eventually.UntilAsync(async () => (await ServersAsync(n2)).Count == 0, AntiHang,
            $"n2 to drop n1's server once n1's Lease ({LeaseSeconds} s) expired", () => Logs(bed));
        output.WriteLine($"n1's server dropped on n2 {killed.ElapsedMilliseconds} ms after its agent was killed (Lease {LeaseSeconds} s)");
        // The console logger writes from its own queue: the line may follow the table change by a moment.
        await Eventually.UntilAsync(() => bed.Agents[1].Output.Contains("Node n1 is gone (its Lease expired)", StringComparison.Ordinal),
            AntiHang, "n2 to log that n1's Lease expired", () => Logs(bed));
        // The killed agent released nothing: its Lease and object are still stored, only stale.
        Assert.NotNull(bed.Api.Get(Leases, "kube-system", "appswitch-n1"));
        Assert.NotNull(bed.Api.Get(AppSwitchNodes, "", "n1"));
        var (requests, bytesIn, bytesOut) = bed.Api.Traffic;
        output.WriteLine($"API server: {requests} requests, {bytesIn} bytes in, {bytesOut} bytes out for 2 agents");
    }

    /// <summary>The CRD as deploy/appswitchnodes.yaml ships it, stored before any agent asks (as `kubectl apply` would).</summary>
    private static void StoreCrd(FakeKubeApiServer api)
    {
        var crd = Manifests.LoadTyped(Path.Combine(Manifests.DeployDir, "appswitchnodes.yaml")).Single(d => (string?)d["kind"] == "CustomResourceDefinition");
        api.Put(KubeApiCatalog.CrdCollection, crd.ToJsonString());
    }

    private static async Task<List<string>> ServersAsync(NodeShell shell) =>
        [.. (await shell.GetAsync<ServerRecord>()).Where(s => s.ServiceAddr == ServiceAddr).Select(s => s.NodeId)];

    private static string Logs(KubernetesTestbed bed) => string.Join("\n", bed.Agents.Select(a => a.Output[^Math.Min(a.Output.Length, 6000)..]));
}
