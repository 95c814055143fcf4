// Kubernetes client costs on loopback HTTPS against the tests' API server stand-in:
//   list:   a full relist of N pods (pages of 500), the informer's cost after 410 Gone or at start;
//   watch:  latency from a change stored on the server to the informer's event (p50/p99);
//   map:    KubernetesServiceMapper over S services × 4 ready pods each (Deployment-owned).
// With --replication-nodes N: only the --replication kube comparison (ReplicationBench.cs).
using System.Diagnostics;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Mapping;
using k8s;
using k8s.Models;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;

if (Array.IndexOf(args, "--replication-nodes") >= 0)
{
    // --replication kube at N nodes (ReplicationBench.cs); the other measures are skipped.
    await AppSwitch.KubeBench.ReplicationBench.RunAsync(Arg("--replication-nodes", 50), Arg("--servers", 10), Arg("--rounds", 10),
        TimeSpan.FromSeconds(Arg("--lease", 40)), TimeSpan.FromSeconds(Arg("--quiet", 30)));
    return;
}

var pods = Arg("--pods", 10000);
var events = Arg("--events", 2000);
var services = Arg("--services", 1000);

await using var server = await FakeKubeApiServer.StartAsync();
using var client = server.Connection().CreateClient();

for (var i = 0; i < pods; i++) server.Put(KubeObjects.Pods, KubeObjects.Pod($"pod-{i}", $"10.{i / 65536}.{i / 256 % 256}.{i % 256}", ("ReplicaSet", $"web-{i % 10}-abc")));
// A full list is what an informer does at start and after 410 Gone: time one informer's sync (then stop it).
async Task<int> SyncOnce()
{
    using var cancel = new CancellationTokenSource();
    var listing = new KubeInformer<V1Pod, V1PodList>(client, KubeResources.Pods, "default", new InformerOptions(), NullLogger.Instance);
    var run = listing.RunAsync(cancel.Token);
    await listing.WaitForSyncAsync(CancellationToken.None);
    await cancel.CancelAsync();
    await run;
    return listing.Snapshot().Count;
}
await SyncOnce(); // warm-up (JIT, TLS)
var lists = new List<double>();
for (var run = 0; run < 5; run++)
{
    var allocated = GC.GetTotalAllocatedBytes(true);
    var clock = Stopwatch.StartNew();
    var listed = await SyncOnce();
    lists.Add(clock.Elapsed.TotalMilliseconds);
    if (run == 0) Console.WriteLine($"list: {listed} pods, {(GC.GetTotalAllocatedBytes(true) - allocated) / 1024.0 / 1024:F1} MiB allocated");
}
Console.WriteLine($"list: median {Median(lists):F0} ms for {pods} pods ({pods / Median(lists) * 1000:F0} pods/s), stand-in's work included");

// The client's own share: decoding one list body of all the pods (what the agent pays against a real server).
var body = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[" +
           string.Join(",", Enumerable.Range(0, pods).Select(i => KubeObjects.Pod($"pod-{i}", "10.1.0.1", ("ReplicaSet", "web-1-abc")))) + "]}";
var decodes = new List<double>();
for (var run = 0; run < 7; run++)
{
    var clock = Stopwatch.StartNew();
    KubernetesJson.Deserialize<V1PodList>(body);
    decodes.Add(clock.Elapsed.TotalMilliseconds);
}
Console.WriteLine($"decode: {body.Length / 1024 / 1024.0:F1} MiB list body of {pods} pods, median {Median(decodes):F0} ms");

using var stop = new CancellationTokenSource();
var informer = new KubeInformer<V1Pod, V1PodList>(client, KubeResources.Pods, "default", new InformerOptions(), NullLogger.Instance);
var running = informer.RunAsync(stop.Token);
await informer.WaitForSyncAsync(CancellationToken.None);
while (informer.Events.TryRead(out _)) { }
await Task.Delay(200); // the watch request is on its way; its first event must not wait for it
var latencies = new List<double>();
for (var i = 0; i < events; i++)
{
    var clock = Stopwatch.StartNew();
    server.Put(KubeObjects.Pods, KubeObjects.Pod($"pod-{i % pods}", "10.200.0.1", null));
    await informer.Events.ReadAsync();
    latencies.Add(clock.Elapsed.TotalMicroseconds);
}
await stop.CancelAsync();
await running;
latencies.Sort();
Console.WriteLine($"watch: {events} changes, store → informer event p50 {latencies[events / 2]:F0} µs, p99 {latencies[events * 99 / 100]:F0} µs");

var objects = new List<(string, string)>();
for (var s = 0; s < services; s++)
{
    objects.Add((KubeObjects.Services, KubeObjects.Service($"svc-{s}", $"10.96.{s / 256}.{s % 256}", ("http", "TCP", 80))));
    var endpoints = new List<(string, string, bool)>();
    for (var p = 0; p < 4; p++)
    {
        var name = $"svc-{s}-v{p % 2 + 1}-hash{p % 2}-p{p}";
        var ip = $"10.{100 + s / 256}.{s % 256}.{p + 1}";
        objects.Add((KubeObjects.Pods, KubeObjects.Pod(name, ip, ("ReplicaSet", $"svc-{s}-v{p % 2 + 1}-hash{p % 2}"), ("app", $"svc-{s}"), ("pod-template-hash", $"hash{p % 2}"))));
        endpoints.Add((name, ip, true));
    }
    objects.Add((KubeObjects.EndpointSlices, KubeObjects.EndpointSlice($"svc-{s}-x", $"svc-{s}", [.. endpoints], ("http", "TCP", 80))));
}
T Parse<T>(string json) => KubernetesJson.Deserialize<T>(json);
var snapshot = new KubeClusterSnapshot
{
    Services = [.. objects.Where(o => o.Item1 == KubeObjects.Services).Select(o => Parse<V1Service>(o.Item2))],
    Pods = [.. objects.Where(o => o.Item1 == KubeObjects.Pods).Select(o => Parse<V1Pod>(o.Item2))],
    EndpointSlices = [.. objects.Where(o => o.Item1 == KubeObjects.EndpointSlices).Select(o => Parse<V1EndpointSlice>(o.Item2))],
};
var mapper = new KubernetesServiceMapper();
mapper.VirtualEndpoints(snapshot, mapper.Instances(snapshot)); // warm-up
var maps = new List<double>();
var count = 0;
for (var run = 0; run < 7; run++)
{
    var clock = Stopwatch.StartNew();
    var instances = mapper.Instances(snapshot);
    mapper.VirtualEndpoints(snapshot, instances);
    maps.Add(clock.Elapsed.TotalMilliseconds);
    count = instances.Count;
}
Console.WriteLine($"map: {services} services, {count} instances + virtual endpoints, median {Median(maps):F1} ms");

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
