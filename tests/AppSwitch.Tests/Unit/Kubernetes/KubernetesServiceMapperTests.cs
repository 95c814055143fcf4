using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>Kubernetes objects (real JSON) → Amalgam8 service instances and ClusterIP virtual endpoints, per seed 002.</summary>
public sealed class KubernetesServiceMapperTests
{
    private readonly KubernetesServiceMapper _mapper = new();

    private static T Parse<T>(string json) => KubeSnapshots.Parse<T>(json);

    private static KubeClusterSnapshot Snapshot(IEnumerable<(string Collection, string Json)> objects) => KubeSnapshots.Of(objects);

    // a8ctl service-list's grouping: instances by their plain (non key=value) tags, with counts.
    private static string Compact(IEnumerable<KubeServiceInstance> instances) =>
        string.Join(", ", instances.GroupBy(i => string.Join(",", i.Tags.Where(t => !t.Contains('='))))
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}({g.Count()})"));

    [Fact]
    public void Helloworld_gives_two_v1_and_two_v2_instances_tagged_kubernetes_with_the_pod_labels()
    {
        var instances = _mapper.Instances(Snapshot(HelloworldCluster.Objects()));

        Assert.Equal("v1,kubernetes(2), v2,kubernetes(2)", Compact(instances));
        var first = instances.Single(i => i.Endpoint.Value == "10.1.0.11:5000");
        Assert.Equal("helloworld", first.Service);
        Assert.Equal(new KubeInstanceEndpoint("http", "10.1.0.11:5000"), first.Endpoint);
        Assert.Equal(["v1", "kubernetes", "app=helloworld", $"pod-template-hash={HelloworldCluster.V1Hash}", "version=v1"], first.Tags);
        Assert.DoesNotContain(instances, i => i.Endpoint.Value == "10.1.0.19:5000"); // the not-ready pod
    }

    [Fact]
    public void Without_the_replica_set_cached_the_deployment_name_is_still_found_by_cutting_the_template_hash()
    {
        var snapshot = Snapshot(HelloworldCluster.Objects()) with { ReplicaSets = [] };
        Assert.Equal("v1,kubernetes(2), v2,kubernetes(2)", Compact(_mapper.Instances(snapshot)));
    }

    [Fact]
    public void Pods_of_a_replication_controller_statefulset_and_daemonset_take_their_version_from_the_controller_name()
    {
        var instances = _mapper.Instances(Snapshot(
        [
            (KubeObjects.Services, KubeObjects.Service("reviews", "10.96.0.30", (null, "TCP", 9080))),
            (KubeObjects.Pods, KubeObjects.Pod("reviews-v3-x1", "10.1.0.31", ("ReplicationController", "reviews-v3"), ("tier", ""))),
            (KubeObjects.Pods, KubeObjects.Pod("redis-primary-0", "10.1.0.32", ("StatefulSet", "redis-primary"))),
            (KubeObjects.Pods, KubeObjects.Pod("logger-abc12", "10.1.0.33", ("DaemonSet", "logger"))),
            (KubeObjects.Pods, KubeObjects.Pod("bare", "10.1.0.34", null, ("app", "reviews"))),
            (KubeObjects.EndpointSlices, KubeObjects.EndpointSlice("reviews-1", "reviews",
                [("reviews-v3-x1", "10.1.0.31", true), ("redis-primary-0", "10.1.0.32", true), ("logger-abc12", "10.1.0.33", true), ("bare", "10.1.0.34", true)],
                (null, "TCP", 9080))),
        ]));

        Assert.Equal(
        [
            "tcp 10.1.0.31:9080 v3,kubernetes,tier",
            "tcp 10.1.0.32:9080 primary,kubernetes",
            "tcp 10.1.0.33:9080 logger,kubernetes",
            "tcp 10.1.0.34:9080 kubernetes,app=reviews",
        ], instances.Select(i => $"{i.Endpoint.Type} {i.Endpoint.Value} {string.Join(",", i.Tags)}"));
    }

    [Fact]
    public void A_service_without_endpoint_slices_falls_back_to_its_ready_endpoints_and_types_come_from_port_names()
    {
        var instances = _mapper.Instances(Snapshot(
        [
            (KubeObjects.Services, KubeObjects.Service("gateway", "10.96.0.40", ("https", "TCP", 8443), ("dns", "UDP", 53), ("metrics", "TCP", 9100))),
            (KubeObjects.Endpoints, KubeObjects.EndpointsObject("gateway", [("gw-a", "10.1.0.41")], [("gw-b", "10.1.0.42")],
                ("https", "TCP", 8443), ("dns", "UDP", 53), ("metrics", "TCP", 9100))),
        ]));

        Assert.Equal(["https 10.1.0.41:8443", "udp 10.1.0.41:53", "tcp 10.1.0.41:9100"],
            instances.Select(i => $"{i.Endpoint.Type} {i.Endpoint.Value}"));
        Assert.All(instances, i => Assert.Equal(["kubernetes"], i.Tags)); // pod unknown: no version, no labels
    }

    [Fact]
    public void Each_cluster_ip_port_becomes_a_virtual_endpoint_backed_by_that_port_s_instances_with_its_dns_names()
    {
        var snapshot = Snapshot(HelloworldCluster.Objects().Append(
            (KubeObjects.Services, KubeObjects.Service("headless", "None", ("http", "TCP", 80)))));
        var instances = _mapper.Instances(snapshot);

        var virtualEndpoint = Assert.Single(_mapper.VirtualEndpoints(snapshot, instances));

        Assert.Equal(("helloworld", HelloworldCluster.ClusterIp, 5000, "http"),
            (virtualEndpoint.Service, virtualEndpoint.ClusterIp, virtualEndpoint.Port, virtualEndpoint.Type));
        Assert.Equal(["helloworld", "helloworld.default", "helloworld.default.svc.cluster.local"], virtualEndpoint.DnsNames);
        Assert.Equal(["10.1.0.11:5000", "10.1.0.12:5000", "10.1.0.21:5000", "10.1.0.22:5000"],
            virtualEndpoint.Backends.Select(b => b.Endpoint.Value).Order());
    }

    [Theory]
    [InlineData("helloworld-v1", "v1")]
    [InlineData("reviews-v2-canary", "canary")]
    [InlineData("web", "web")]
    [InlineData("odd-", "odd-")]
    public void The_version_tag_is_the_controller_name_after_its_last_dash(string controller, string expected) =>
        Assert.Equal(expected, VersionTag.FromName(controller));
}
