using System.Text.Json.Nodes;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// Kubernetes objects as the API server sends them (JSON, with the fields the agent does not read too),
/// for the fake API server and for the mapper's tests.
/// </summary>
public static class KubeObjects
{
    public const string Services = "/api/v1/services";
    public const string Pods = "/api/v1/pods";
    public const string Endpoints = "/api/v1/endpoints";
    public const string EndpointSlices = "/apis/discovery.k8s.io/v1/endpointslices";
    public const string ReplicaSets = "/apis/apps/v1/replicasets";
    public const string RoutingRules = "/apis/amalgam8.io/v1/routingrules";

    public const string Nodes = "/api/v1/nodes";

    /// <summary>A Node (cluster-scoped) with its InternalIP, as the kubelet reports it.</summary>
    public static string Node(string name, string internalIp) => new JsonObject
    {
        ["kind"] = "Node", ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject { ["name"] = name, ["uid"] = $"node-{name}", ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name } },
        ["status"] = new JsonObject
        {
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = internalIp },
                new JsonObject { ["type"] = "Hostname", ["address"] = name }),
        },
    }.ToJsonString();

    /// <summary>A RoutingRule custom resource whose spec is the given JSON (one Amalgam8 rule).</summary>
    public static string RoutingRule(string name, string specJson) => new JsonObject
    {
        ["kind"] = "RoutingRule", ["apiVersion"] = "amalgam8.io/v1",
        ["metadata"] = Metadata(name, "default", uid: $"rule-{name}"),
        ["spec"] = JsonNode.Parse(specJson),
    }.ToJsonString();

    public static string Service(string name, string clusterIp, params (string? Name, string Protocol, int Port)[] ports) => new JsonObject
    {
        ["kind"] = "Service", ["apiVersion"] = "v1",
        ["metadata"] = Metadata(name, "default", uid: $"svc-{name}"),
        ["spec"] = new JsonObject
        {
            ["clusterIP"] = clusterIp,
            ["clusterIPs"] = new JsonArray(clusterIp),
            ["type"] = "ClusterIP",
            ["selector"] = new JsonObject { ["app"] = name },
            ["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name, ["protocol"] = p.Protocol, ["port"] = p.Port, ["targetPort"] = p.Port,
            })]),
            ["sessionAffinity"] = "None",
        },
        ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() },
    }.ToJsonString();

    public static string Pod(string name, string ip, (string Kind, string Name)? owner, params (string Key, string Value)[] labels) => new JsonObject
    {
        ["kind"] = "Pod", ["apiVersion"] = "v1",
        ["metadata"] = Metadata(name, "default", labels, owner, uid: $"pod-{name}"),
        ["spec"] = new JsonObject
        {
            ["nodeName"] = "node-1",
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "istio/examples-helloworld-v1" }),
        },
        ["status"] = new JsonObject { ["phase"] = "Running", ["podIP"] = ip, ["hostIP"] = "10.0.0.1" },
    }.ToJsonString();

    public static string Workload(string kind, string name, (string Kind, string Name)? owner = null) => new JsonObject
    {
        ["kind"] = kind, ["apiVersion"] = kind == "ReplicationController" ? "v1" : "apps/v1",
        ["metadata"] = Metadata(name, "default", owner: owner, uid: $"{kind}-{name}"),
        ["spec"] = new JsonObject { ["replicas"] = 2 },
    }.ToJsonString();

    /// <summary>A slice of ready (or not) pod endpoints for one Service; ports are (name, protocol, port).</summary>
    public static string EndpointSlice(string name, string service, (string Pod, string Ip, bool Ready)[] endpoints,
        params (string? Name, string Protocol, int Port)[] ports) => new JsonObject
        {
            ["kind"] = "EndpointSlice", ["apiVersion"] = "discovery.k8s.io/v1",
            ["metadata"] = Metadata(name, "default", [("kubernetes.io/service-name", service), ("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")]),
            ["addressType"] = "IPv4",
            ["endpoints"] = new JsonArray([.. endpoints.Select(e => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray(e.Ip),
            ["conditions"] = new JsonObject { ["ready"] = e.Ready, ["serving"] = e.Ready, ["terminating"] = false },
            ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = "default", ["name"] = e.Pod, ["uid"] = $"pod-{e.Pod}" },
            ["nodeName"] = "node-1",
        })]),
            ["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["protocol"] = p.Protocol, ["port"] = p.Port })]),
        }.ToJsonString();

    /// <summary>The older Endpoints object: ready addresses, and not-ready ones the agent must skip.</summary>
    public static string EndpointsObject(string service, (string Pod, string Ip)[] ready, (string Pod, string Ip)[] notReady,
        params (string? Name, string Protocol, int Port)[] ports)
    {
        JsonArray Addresses((string Pod, string Ip)[] list) => new([.. list.Select(a => (JsonNode)new JsonObject
        {
            ["ip"] = a.Ip, ["nodeName"] = "node-1",
            ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = "default", ["name"] = a.Pod },
        })]);
        return new JsonObject
        {
            ["kind"] = "Endpoints", ["apiVersion"] = "v1",
            ["metadata"] = Metadata(service, "default"),
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = Addresses(ready),
                ["notReadyAddresses"] = Addresses(notReady),
                ["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["protocol"] = p.Protocol, ["port"] = p.Port })]),
            }),
        }.ToJsonString();
    }

    /// <summary>The object with another metadata.uid (and namespace): a pod whose UID a test's cgroup carries.</summary>
    public static string With(string objectJson, string uid, string? @namespace = null)
    {
        var item = JsonNode.Parse(objectJson)!.AsObject();
        item["metadata"]!["uid"] = uid;
        if (@namespace is not null) item["metadata"]!["namespace"] = @namespace;
        return item.ToJsonString();
    }

    private static JsonObject Metadata(string name, string @namespace, IEnumerable<(string Key, string Value)>? labels = null,
        (string Kind, string Name)? owner = null, string? uid = null)
    {
        var metadata = new JsonObject
        {
            ["name"] = name, ["namespace"] = @namespace, ["uid"] = uid ?? Guid.NewGuid().ToString(),
            ["creationTimestamp"] = "2026-11-22T05:00:00Z",
            ["managedFields"] = new JsonArray(new JsonObject { ["manager"] = "kube-controller-manager", ["operation"] = "Update" }),
        };
        if (labels is not null) metadata["labels"] = new JsonObject([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]);
        if (owner is { } o)
            metadata["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = o.Kind == "ReplicationController" ? "v1" : "apps/v1", ["kind"] = o.Kind, ["name"] = o.Name,
                ["uid"] = $"{o.Kind}-{o.Name}", ["controller"] = true, ["blockOwnerDeletion"] = true,
            });
        return metadata;
    }
}
