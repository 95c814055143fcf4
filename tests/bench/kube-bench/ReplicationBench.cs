// --replication kube at N simulated nodes against the API server stand-in (loopback HTTPS), with the agent's own
// parts: each node has a NodeObjectWriter, a NodeLeaseKeeper renewing every third of the Lease, and the two
// informers an agent runs (all AppSwitchNodes, the Leases). Measured: the time for a change of node 0's object to
// reach every other node's informer (p50/p99 over nodes, several rounds), and what the API server sends and
// receives per node and second while only Leases are renewed, and per object change.
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Agent.Kubernetes.Replication;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Table;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace AppSwitch.KubeBench;

public static class ReplicationBench
{
    public static async Task RunAsync(int nodes, int serversPerNode, int rounds, TimeSpan lease, TimeSpan quiet)
    {
        await using var server = await FakeKubeApiServer.StartAsync();
        server.Put(KubeApiCatalog.CrdCollection, Crd());
        using var client = server.Connection().CreateClient();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var seen = new long[nodes];
        var round = 0;
        var tasks = new List<Task>();
        var writers = new NodeObjectWriter[nodes];
        var informers = new List<KubeInformer<AppSwitchNode, AppSwitchNodeList>>();
        for (var n = 0; n < nodes; n++)
        {
            writers[n] = new NodeObjectWriter(client, $"sim-{n}");
            await writers[n].WriteAsync(Spec(n, serversPerNode, "round-0"), stop.Token);
            var keeper = new NodeLeaseKeeper(client, "kube-system", $"sim-{n}", lease);
            tasks.Add(RenewAsync(keeper, lease / 3, stop.Token));
            var objects = new KubeInformer<AppSwitchNode, AppSwitchNodeList>(client, KubeResources.AppSwitchNodes, null, new InformerOptions(), NullLogger.Instance);
            var leases = new KubeInformer<V1Lease, V1LeaseList>(client, KubeResources.Leases, "kube-system", new InformerOptions(), NullLogger.Instance);
            informers.Add(objects);
            tasks.Add(objects.RunAsync(stop.Token));
            tasks.Add(leases.RunAsync(stop.Token));
            tasks.Add(Drain(leases));
            var me = n;
            tasks.Add(Task.Run(async () =>
            {
                await foreach (var e in objects.Events.ReadAllAsync())
                    if (e.Object.Metadata.Name == "sim-0" && e.Object.Spec.Cluster == $"round-{Volatile.Read(ref round)}")
                        Interlocked.Exchange(ref seen[me], clock.ElapsedTicks);
            }));
        }
        foreach (var informer in informers) await informer.WaitForSyncAsync(CancellationToken.None);
        await Task.Delay(1000); // every watch open

        var (requests0, in0, out0) = server.Traffic;
        var latencies = new List<double>();
        for (var r = 1; r <= rounds; r++)
        {
            Volatile.Write(ref round, r);
            Array.Clear(seen);
            var start = clock.ElapsedTicks;
            await writers[0].WriteAsync(Spec(0, serversPerNode + r, $"round-{r}"), stop.Token);
            var deadline = Stopwatch.StartNew();
            while (Enumerable.Range(1, nodes - 1).Any(n => Interlocked.Read(ref seen[n]) == 0) && deadline.Elapsed < TimeSpan.FromSeconds(60))
                await Task.Delay(5);
            latencies.AddRange(Enumerable.Range(1, nodes - 1).Select(n => Interlocked.Read(ref seen[n]) is var t and > 0
                ? (t - start) * 1000.0 / Stopwatch.Frequency : double.NaN));
            await Task.Delay(200);
        }
        var (requests1, in1, out1) = server.Traffic;
        await Task.Delay(quiet);
        var (requests2, in2, out2) = server.Traffic;
        await stop.CancelAsync();
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        latencies.Sort();
        var lost = latencies.Count(double.IsNaN);
        var got = latencies.Where(l => !double.IsNaN(l)).ToList();
        var objectBytes = JsonSerializer.SerializeToUtf8Bytes(Spec(0, serversPerNode, "round-0")).Length;
        Console.WriteLine($"replication: N={nodes}, {serversPerNode} servers per node (spec {objectBytes} B), Lease {lease.TotalSeconds:0} s");
        Console.WriteLine($"  a changed object on every node: p50 {got[got.Count / 2]:F0} ms, p99 {got[Math.Min(got.Count - 1, got.Count * 99 / 100)]:F0} ms, max {got[^1]:F0} ms ({rounds} rounds, {lost} not seen in 60 s)");
        Console.WriteLine($"  per object change: {(out1 - out0) / (double)rounds / 1024:F1} KiB sent by the API server ({(out1 - out0) / (double)rounds / nodes:F0} B per node), {(requests1 - requests0) / (double)rounds:F1} requests");
        var seconds = quiet.TotalSeconds;
        Console.WriteLine($"  quiet (Leases only): {(requests2 - requests1) / seconds:F1} requests/s at the API server, per node {(out2 - out1) / seconds / nodes:F0} B/s received, {(in2 - in1) / seconds / nodes:F0} B/s sent");
    }

    private static async Task RenewAsync(NodeLeaseKeeper keeper, TimeSpan every, CancellationToken stop)
    {
        try
        {
            await Task.Delay(Random.Shared.Next((int)every.TotalMilliseconds), stop); // nodes start at different times
            while (true)
            {
                await keeper.RenewAsync(stop);
                await Task.Delay(every, stop);
            }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task Drain(KubeInformer<V1Lease, V1LeaseList> informer)
    {
        await foreach (var _ in informer.Events.ReadAllAsync()) { }
    }

    private static AppSwitchNodeSpec Spec(int node, int servers, string round)
    {
        var address = IPAddress.Parse($"10.{node / 256}.{node % 256}.1");
        var apps = Enumerable.Range(0, servers).Select(i => new AppEntry
        {
            Id = $"a{node:x4}{i:x4}", Name = $"svc-{i % 50}", VirtualIp = IPAddress.Parse($"198.{18 + node / 256 % 2}.{node % 256}.{i % 250 + 1}"), Pid = 1000 + i,
            Command = ["python3", "-m", "http.server", "80"], Labels = new Dictionary<string, string> { ["version"] = "v1" },
        }).ToList();
        var entries = apps.Select((a, i) => new ServerEntry
        {
            App = a, Transport = Transport.Tcp, Virtual = new IPEndPoint(a.VirtualIp!, 80), Node = new IPEndPoint(address, 40000 + i), Inode = (ulong)(1000 + i),
        }).ToList();
        using var state = JsonDocument.Parse(NodeStateCodec.Encode(apps, entries));
        return new AppSwitchNodeSpec { Node = $"sim-{node}", Address = address.ToString(), Cluster = round, State = state.RootElement.Clone() };
    }

    /// <summary>deploy/appswitchnodes.yaml's CRD, as JSON (enough of it for the stand-in to serve the resource).</summary>
    private static string Crd() => """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"appswitchnodes.appswitch.io"},
         "spec":{"group":"appswitch.io","scope":"Cluster","names":{"kind":"AppSwitchNode","listKind":"AppSwitchNodeList","plural":"appswitchnodes","singular":"appswitchnode"},
          "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
        """;
}
