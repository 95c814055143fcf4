using System.Text.Json;
using AppSwitch.Agent.Kubernetes.Mapping;
using k8s;
using k8s.Models;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>Gossip auto-discovery's neighbor list from the API's Node objects.</summary>
public sealed class NodeNeighborsTests
{
    private static V1Node Parse(string name, params (string Type, string Address)[] addresses) =>
        KubernetesJson.Deserialize<V1Node>(JsonSerializer.Serialize(new
        {
            kind = "Node", apiVersion = "v1",
            metadata = new { name, labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
            status = new { addresses = addresses.Select(a => new { type = a.Type, address = a.Address }), conditions = new[] { new { type = "Ready", status = "True" } } },
        }));

    [Fact]
    public void The_other_nodes_internal_ips_are_the_neighbors_with_external_ips_as_fallback()
    {
        V1Node[] nodes =
        [
            Parse("node-b", ("Hostname", "node-b"), ("ExternalIP", "203.0.113.2"), ("InternalIP", "10.0.0.2")),
            Parse("node-a", ("InternalIP", "10.0.0.1")),
            Parse("node-c", ("Hostname", "node-c"), ("ExternalIP", "203.0.113.3")),
            Parse("node-d", ("Hostname", "node-d")),
        ];

        Assert.Equal(["10.0.0.2", "203.0.113.3"], NodeNeighbors.From(nodes, "node-a"));
    }
}
