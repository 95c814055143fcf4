using System.Net;
using System.Text;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>Which relays a node runs, from its replicas of the other nodes' apps and every node's vservices.</summary>
public class RelayPlanTests
{
    private static readonly IPAddress NodeA = IPAddress.Parse("10.77.0.11");
    private static readonly RemoteNodeRef NodeB = new("node-b", IPAddress.Parse("10.77.0.12"));
    private readonly ServiceTable _table = new(new NodeIdentity("node-a", "appswitch", NodeA));

    private static IReadOnlyList<ExposeMapping> Mappings(string text) =>
        ExposeMapping.TryParseList(text, out var mappings, out var reason) ? mappings : throw new ArgumentException(reason);

    /// <summary>Node B publishes one app with these mappings; node A decodes it as gossip would deliver it.</summary>
    private void ReplicateFromB(string expose, IEnumerable<VServiceEntry>? vservices = null)
    {
        var app = new AppEntry { Id = "b0000001", VirtualIp = IPAddress.Parse("198.18.0.1"), Expose = Mappings(expose) };
        var bytes = NodeStateCodec.Encode([app], [], vservices);
        var (apps, servers) = NodeStateCodec.Decode(bytes, NodeB, out var replicaVServices);
        _table.ReplaceRemote(NodeB, apps, servers, replicaVServices);
    }

    [Fact]
    public void Expose_mappings_travel_with_the_app()
    {
        var app = new AppEntry { Id = "b0000001", Expose = Mappings("80:8080,81:10.77.0.11:8081,82:0.0.0.0:8082") };
        var (apps, _) = NodeStateCodec.Decode(NodeStateCodec.Encode([app], []), NodeB);
        Assert.Equal("80:8080,81:10.77.0.11:8081,82:0.0.0.0:8082", string.Join(",", Assert.Single(apps).Expose));
    }

    [Fact]
    public void A_publication_of_an_older_agent_without_expose_decodes_with_none()
    {
        var (apps, _) = NodeStateCodec.Decode(Encoding.UTF8.GetBytes("{\"v\":1,\"apps\":[{\"id\":\"a\"}]}"), NodeB);
        Assert.Empty(Assert.Single(apps).Expose);
    }

    [Fact]
    public void A_bad_expose_mapping_in_a_publication_is_a_format_error()
    {
        var json = "{\"v\":1,\"apps\":[{\"id\":\"a\",\"expose\":[\"80:nope:8080\"]}]}";
        Assert.Throws<FormatException>(() => NodeStateCodec.Decode(Encoding.UTF8.GetBytes(json), NodeB));
    }

    [Fact]
    public void This_node_relays_mappings_naming_its_address_or_every_node_but_not_the_apps_own_node_or_another()
    {
        ReplicateFromB("80:8080,81:10.77.0.11:8081,82:0.0.0.0:8082,83:10.77.0.13:8083,84:10.77.0.12:8084");

        var plan = RelayPlanner.Plan(_table);

        Assert.Equal(["10.77.0.11:8081 expose-b0000001-81 node-b", "10.77.0.11:8082 expose-b0000001-82 node-b"],
            plan.Select(r => $"{r.Listener} {r.Route.Id} {((ExposeRoute)r.Route).NodeName}"));
    }

    [Fact]
    public void Only_external_vservices_are_relayed_on_each_of_their_vports()
    {
        VServiceEntry VService(string name, bool external) => VServiceEntry.FromSpec(new VServiceSpec
        {
            Name = name, Ip = name == "ext" ? "198.18.9.1" : "198.18.9.2", Backends = ["198.18.0.1"],
            Ports = [new VServicePort(8000, 80), new VServicePort(9000, 90)], External = external,
        }, null, out var error) ?? throw new ArgumentException(error);
        ReplicateFromB("80:80", [VService("ext", true), VService("int", false)]);

        var plan = RelayPlanner.Plan(_table);

        Assert.Equal(["10.77.0.11:8000 vservice-ext-8000", "10.77.0.11:9000 vservice-ext-9000"], plan.Select(r => $"{r.Listener} {r.Route.Id}"));
    }

    [Fact]
    public void A_nodes_departure_takes_its_apps_relays_with_it()
    {
        ReplicateFromB("80:0.0.0.0:8080");
        Assert.Single(RelayPlanner.Plan(_table));
        _table.RemoveRemote(NodeB.Name);
        Assert.Empty(RelayPlanner.Plan(_table));
    }
}
