using System.Text;
using System.Text.Json;
using AppSwitch.Agent.Kubernetes.Adapter;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Agent.Kubernetes.Models;
using k8s;
using k8s.Models;

namespace AppSwitch.Fuzz.Targets;

/// <summary>
/// A Kubernetes watch stream (one JSON event per line) as the informers receive it: each line read with the
/// client library's serializer (<see cref="KubernetesJson"/>, as its watcher does), then what the agent makes of
/// the objects — Services and EndpointSlices through <see cref="KubernetesServiceMapper"/>, RoutingRules through
/// <see cref="RoutingRuleSync.Read"/>. The first byte picks the resource.
/// </summary>
internal sealed class KubeWatchTarget : IFuzzTarget
{
    public string Name => "kube-watch";

    private sealed record WatchLine<T>(WatchEventType Type, T? Object);

    public IEnumerable<byte[]> Seeds()
    {
        const string service = """{"type":"ADDED","object":{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","resourceVersion":"101","uid":"7c1f","creationTimestamp":"2026-12-01T10:00:00Z","labels":{"app":"web"}},"spec":{"clusterIP":"10.96.0.20","clusterIPs":["10.96.0.20"],"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080},{"name":"grpc","port":9090,"targetPort":"grpc"}],"selector":{"app":"web"},"type":"ClusterIP"}}}""";
        const string slice = """{"type":"MODIFIED","object":{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-abc12","namespace":"default","resourceVersion":"102","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.1.5"],"conditions":{"ready":true,"serving":true,"terminating":false},"nodeName":"node-a","targetRef":{"kind":"Pod","name":"web-1","namespace":"default"}}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}}""";
        const string rule = """{"type":"ADDED","object":{"apiVersion":"amalgam8.io/v1","kind":"RoutingRule","metadata":{"name":"split","namespace":"default","resourceVersion":"7","generation":2},"spec":{"destination":"helloworld","route":{"backends":[{"tags":["version=v2"],"weight":0.25},{"tags":["version=v1"]}]}}}}""";
        const string gone = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (101)","reason":"Expired","code":410}}""";
        const string bookmark = """{"type":"BOOKMARK","object":{"kind":"Service","apiVersion":"v1","metadata":{"resourceVersion":"150"}}}""";
        yield return [0, .. Encoding.UTF8.GetBytes(service + "\n" + bookmark + "\n" + gone + "\n")];
        yield return [1, .. Encoding.UTF8.GetBytes(slice + "\n" + slice.Replace("MODIFIED", "DELETED") + "\n")];
        yield return [2, .. Encoding.UTF8.GetBytes(rule + "\n" + rule.Replace("0.25", "1.5") + "\n")];
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        var lines = Encoding.UTF8.GetString(input[1..]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var mapper = new KubernetesServiceMapper();
        switch (input[0] % 3)
        {
            case 0:
                var services = Read<V1Service>(lines);
                mapper.VirtualEndpoints(new KubeClusterSnapshot { Services = services }, mapper.Instances(new KubeClusterSnapshot { Services = services }));
                break;
            case 1:
                var slices = Read<V1EndpointSlice>(lines);
                mapper.Instances(new KubeClusterSnapshot { EndpointSlices = slices });
                break;
            default:
                foreach (var item in Read<RoutingRule>(lines)) RoutingRuleSync.Read(item, out _);
                break;
        }
    }

    /// <summary>The objects the informer keeps: lines that decode, with a metadata.name (KubeInformer.Apply ignores
    /// the rest). A line the library cannot read goes to the watcher's onError, which the informer turns into an
    /// IOException: it logs it and opens a new watch — so any exception from the library's reader is expected.</summary>
    private static List<T> Read<T>(string[] lines) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var objects = new List<T>();
        foreach (var line in lines)
        {
            try
            {
                var e = KubernetesJson.Deserialize<WatchLine<T>>(line);
                if (e?.Object is { Metadata.Name.Length: > 0 } item && e.Type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                    objects.Add(item);
            }
            catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException or OverflowException
                                           or NotSupportedException)
            {
                // KubernetesJson's converters (RFC 3339 dates, quantities, int-or-string) throw these on bad values.
            }
        }
        return objects;
    }
}
