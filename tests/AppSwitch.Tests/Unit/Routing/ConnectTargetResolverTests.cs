using System.Net;
using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Common.Net;
using AppSwitch.Common.Rules;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AppSwitch.Tests.Unit.Routing;

/// <summary>
/// Connect decisions against hand-built snapshots (no agent, no table, no sockets): which check wins when several
/// apply (DNS redirect → vservice → node endpoint → virtual IP → agent ports → relay listeners → egress), labels,
/// route-rule weights.
/// </summary>
public sealed class ConnectTargetResolverTests
{
    private static readonly IPAddress Node1 = IPAddress.Parse("10.77.0.1");
    private static readonly IPAddress Node2 = IPAddress.Parse("10.77.0.2");
    private static readonly NodeIdentity Identity = new("n1", "appswitch", Node1);
    private static readonly RemoteNodeRef Remote = new("n2", Node2);
    private static readonly IPEndPoint Dns = new(Node1, 5353);
    private static readonly IPEndPoint HttpRelay = new(Node1, 7777);
    private const int RestPort = 6664;

    private readonly List<AppEntry> _apps = [];
    private readonly List<ServerEntry> _servers = [];
    private readonly List<VServiceEntry> _vservices = [];
    private readonly List<Rule> _rules = [];
    private ulong _inode;

    private readonly AppEntry _blue = new() { Id = "c-blue", Labels = new Dictionary<string, string> { ["zone"] = "blue" } };
    private readonly AppEntry _red = new() { Id = "c-red", Labels = new Dictionary<string, string> { ["zone"] = "red" } };

    private readonly ConnectTargetResolver _resolver = new(new BackendPicker(), NullLogger.Instance,
        transport => transport == Transport.Udp ? Dns : null, () => HttpRelay,
        new AgentEndPoints(Identity, RestPort, 0, () => HttpRelay, () => []));

    /// <summary>An app with one TCP server at vip:port whose node socket is node:nodePort (on n2 when <paramref name="remote"/>).</summary>
    private ServerEntry Server(string vip, int port, IPAddress node, int nodePort, string zone = "blue", string name = "",
        bool remote = false, string? version = null, IReadOnlyList<ExposeMapping>? expose = null, string protocol = AppProtocol.Default)
    {
        var labels = new Dictionary<string, string> { ["zone"] = zone };
        if (version is not null) labels["version"] = version;
        var app = new AppEntry
        {
            Id = $"app{++_inode}", Name = name, VirtualIp = IPAddress.Parse(vip), Labels = labels,
            RemoteNode = remote ? Remote : null, Expose = expose ?? [], Protocol = protocol,
        };
        var server = new ServerEntry { App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(app.VirtualIp, port), Node = new IPEndPoint(node, nodePort), Inode = _inode };
        _apps.Add(app);
        _servers.Add(server);
        return server;
    }

    private VServiceEntry VService(string name, string vip, int vport, int aport, string backend, bool external = false)
    {
        var vservice = new VServiceEntry
        {
            Name = name, VirtualIp = IPAddress.Parse(vip), Ports = PortMap.Of([KeyValuePair.Create(vport, aport)]),
            Backends = [Ipv4.From(IPAddress.Parse(backend))], External = external,
        };
        _vservices.Add(vservice);
        return vservice;
    }

    private void Rules(string yaml)
    {
        var rules = RuleReader.Read(yaml, out var problems);
        Assert.Empty(problems);
        _rules.AddRange(rules);
    }

    private RoutingSnapshot Snapshot(EgressPolicy? egress = null, XdsRegistryView? xds = null)
    {
        var effective = _rules.Select(r => new OwnedRule("n1", r)).OrderBy(o => o.Rule.Destination, StringComparer.Ordinal)
            .ThenByDescending(o => o.Rule.Priority).ToList();
        var remoteNodes = new List<(string, IPAddress)> { ("n2", Node2) };
        return RoutingSnapshot.Build(1, new TableImage(Identity, _apps.ToList(), _servers.ToList(), _vservices.ToList(), remoteNodes),
            new RuleIndex(effective), KubernetesRegistryView.Empty, egress ?? EgressPolicy.AllowAll, xds);
    }

    private IPEndPoint? Target(RoutingSnapshot snapshot, AppEntry client, string destination, Transport transport = Transport.Tcp) =>
        _resolver.Resolve(snapshot, client, IPEndPoint.Parse(destination), transport)?.EndPoint;

    [Fact]
    public void The_apps_loopback_53_is_the_agents_dns_before_anything_else()
    {
        Server("127.0.0.1", 53, Node1, 40001); // even a server claiming it does not take the DNS away
        var snapshot = Snapshot(EgressPolicy.Parse("deny", null));
        Assert.Equal(Dns, Target(snapshot, _blue, "127.0.0.1:53", Transport.Udp));
    }

    [Fact]
    public void A_vservice_address_goes_to_its_backend_resolved_as_a_direct_connect_with_labels()
    {
        Server("198.18.0.20", 8080, Node2, 41000, zone: "blue");
        VService("db", "198.18.0.30", 80, 8080, "198.18.0.20");
        var snapshot = Snapshot();
        var decided = _resolver.Resolve(snapshot, _blue, IPEndPoint.Parse("198.18.0.30:80"), Transport.Tcp);
        Assert.Equal(new IPEndPoint(Node2, 41000), decided?.EndPoint);
        Assert.Null(Target(snapshot, _red, "198.18.0.30:80")); // the backend's server shares no label with red
        Assert.Null(Target(snapshot, _blue, "198.18.0.30:81")); // no such vport
    }

    [Fact]
    public void A_vservice_wins_over_a_server_at_the_same_address()
    {
        Server("198.18.0.20", 8080, Node2, 41000);
        Server("198.18.0.30", 80, Node2, 42000); // a stale server on the vservice's address
        VService("db", "198.18.0.30", 80, 8080, "198.18.0.20");
        Assert.Equal(new IPEndPoint(Node2, 41000), Target(Snapshot(), _blue, "198.18.0.30:80"));
    }

    [Fact]
    public void A_servers_node_endpoint_is_decided_as_its_virtual_address_with_only_that_server()
    {
        Server("198.18.0.10", 80, Node2, 40000, zone: "blue", remote: true);
        Server("198.18.0.10", 80, Node2, 40002, zone: "blue", remote: true);
        var snapshot = Snapshot();
        // Always the server dialled, never its sibling behind the same virtual address.
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(new IPEndPoint(Node2, 40000), Target(snapshot, _blue, "10.77.0.2:40000")));
        Assert.Null(Target(snapshot, _red, "10.77.0.2:40000")); // a node address, yet labels decide
    }

    [Fact]
    public void A_virtual_ip_goes_to_a_server_sharing_a_label_and_a_virtual_ip_without_one_is_refused()
    {
        Server("198.18.0.10", 80, Node2, 40000, zone: "blue");
        Server("198.18.0.10", 80, Node2, 40001, zone: "red");
        var snapshot = Snapshot();
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(new IPEndPoint(Node2, 40000), Target(snapshot, _blue, "198.18.0.10:80")));
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(new IPEndPoint(Node2, 40001), Target(snapshot, _red, "198.18.0.10:80")));
        Assert.Null(Target(snapshot, _blue, "198.18.0.10:81")); // a virtual IP on a port nobody serves
        Assert.Null(Target(snapshot, _blue, "198.18.0.10:80", Transport.Udp));
    }

    [Fact]
    public void The_agents_own_port_is_refused_on_node_addresses_but_a_virtual_ip_on_that_port_is_served()
    {
        Server("198.18.0.10", RestPort, Node2, 40000);
        var snapshot = Snapshot();
        Assert.Null(Target(snapshot, _blue, $"10.77.0.1:{RestPort}"));
        Assert.Null(Target(snapshot, _blue, $"127.0.0.1:{RestPort}"));
        Assert.Equal(new IPEndPoint(Node2, 40000), Target(snapshot, _blue, $"198.18.0.10:{RestPort}"));
        Assert.Equal(IPEndPoint.Parse("10.77.0.1:6665"), Target(snapshot, _blue, "10.77.0.1:6665")); // another port: the node's network
    }

    [Fact]
    public void A_relay_listener_of_another_node_is_decided_as_its_route_even_where_egress_refuses_outside()
    {
        // n2's app exposes port 80 on every node at 18080: n1 runs that relay; an app on n2 dialling it is decided
        // as the app's own server (labels included), not as an outside address.
        Server("198.18.0.10", 80, Node1, 40000, zone: "blue", expose: [new ExposeMapping(80, IPAddress.Any, 18080)]);
        var snapshot = Snapshot(EgressPolicy.Parse("deny", null));
        Assert.Equal(new IPEndPoint(Node1, 40000), Target(snapshot, _blue, "10.77.0.2:18080"));
        Assert.Null(Target(snapshot, _red, "10.77.0.2:18080"));
        Assert.Null(Target(snapshot, _blue, "10.77.0.2:18081")); // not a listener: outside, and egress denies
    }

    [Fact]
    public void An_external_vservice_port_on_a_node_is_decided_as_the_vservice()
    {
        Server("198.18.0.20", 8080, Node2, 41000, zone: "blue");
        VService("web", "198.18.0.30", 9000, 8080, "198.18.0.20", external: true);
        var snapshot = Snapshot(EgressPolicy.Parse("deny", null));
        Assert.Equal(new IPEndPoint(Node2, 41000), Target(snapshot, _blue, "10.77.0.1:9000"));
        Assert.Equal(new IPEndPoint(Node2, 41000), Target(snapshot, _blue, "10.77.0.2:9000"));
        Assert.Null(Target(snapshot, _red, "10.77.0.2:9000"));
    }

    [Fact]
    public void Egress_decides_only_what_is_outside_appswitch()
    {
        Server("198.18.0.10", 80, Node2, 40000);
        var deny = Snapshot(EgressPolicy.Parse("deny", "192.0.2.0/24:443"));
        Assert.Null(Target(deny, _blue, "203.0.113.5:443"));
        Assert.Null(Target(deny, _blue, "192.0.2.7:80"));
        Assert.Equal(IPEndPoint.Parse("192.0.2.7:443"), Target(deny, _blue, "192.0.2.7:443"));
        Assert.Equal(new IPEndPoint(Node2, 40000), Target(deny, _blue, "198.18.0.10:80")); // virtual: not egress
        Assert.Equal(IPEndPoint.Parse("203.0.113.5:443"), Target(Snapshot(), _blue, "203.0.113.5:443"));
    }

    [Fact]
    public void Istios_outbound_policy_narrows_the_nodes_egress_and_never_widens_it()
    {
        Server("198.18.0.10", 80, Node2, 40000);
        var api = new XdsEndpoint(IPEndPoint.Parse("192.0.2.7:443"), 1);
        var entry = new XdsCluster("outbound|443||api.example.com", new IstioClusterName("outbound", 443, "", "api.example.com"), "outbound|443||api.example.com", [api]);
        var blackHole = new XdsCluster("BlackHoleCluster", null, "BlackHoleCluster", [], XdsEgressMode.RegistryOnly);
        var registryOnly = XdsRegistryView.Build([entry, blackHole], new Dictionary<string, IReadOnlyList<XdsEndpoint>>());
        // Node allows everything: REGISTRY_ONLY leaves only the ServiceEntry's endpoint open (TCP; Istio does not capture UDP).
        Assert.Equal(api.Address, Target(Snapshot(xds: registryOnly), _blue, "192.0.2.7:443"));
        Assert.Null(Target(Snapshot(xds: registryOnly), _blue, "203.0.113.5:443"));
        Assert.Equal(IPEndPoint.Parse("203.0.113.5:53"), Target(Snapshot(xds: registryOnly), _blue, "203.0.113.5:53", Transport.Udp));
        Assert.Equal(new IPEndPoint(Node2, 40000), Target(Snapshot(xds: registryOnly), _blue, "198.18.0.10:80")); // virtual: not egress
        // Node denies: the ServiceEntry opens nothing --egress refuses, and PassthroughCluster does not either.
        var passthrough = XdsRegistryView.Build([entry, new XdsCluster("PassthroughCluster", null, "PassthroughCluster", [], XdsEgressMode.AllowAny)],
            new Dictionary<string, IReadOnlyList<XdsEndpoint>>());
        Assert.Null(Target(Snapshot(EgressPolicy.Parse("deny", null), registryOnly), _blue, "192.0.2.7:443"));
        Assert.Null(Target(Snapshot(EgressPolicy.Parse("deny", "10.0.0.0/8"), passthrough), _blue, "192.0.2.7:443"));
        Assert.Equal(api.Address, Target(Snapshot(EgressPolicy.Parse("deny", "192.0.2.0/24"), registryOnly), _blue, "192.0.2.7:443"));
        Assert.Null(Target(Snapshot(EgressPolicy.Parse("deny", "192.0.2.0/24"), registryOnly), _blue, "192.0.2.8:443"));
        Assert.Equal(IPEndPoint.Parse("203.0.113.5:443"), Target(Snapshot(xds: passthrough), _blue, "203.0.113.5:443"));
    }

    [Fact]
    public void A_connection_still_leads_to_its_instance_only_while_the_table_labels_rules_and_vservices_allow_it()
    {
        var v1 = Server("198.18.0.10", 80, Node2, 40001, name: "web", version: "v1", remote: true);
        Server("198.18.0.10", 80, Node2, 40002, name: "web", version: "v2", remote: true);
        VService("db", "198.18.0.30", 80, 80, "198.18.0.10");
        var destination = IPEndPoint.Parse("198.18.0.10:80");
        var viaVService = IPEndPoint.Parse("198.18.0.30:80");
        var snapshot = Snapshot();
        Assert.True(_resolver.StillLeadsTo(snapshot, _blue, destination, Transport.Tcp, v1.Node));
        Assert.True(_resolver.StillLeadsTo(snapshot, _blue, viaVService, Transport.Tcp, v1.Node));
        Assert.False(_resolver.StillLeadsTo(snapshot, _red, destination, Transport.Tcp, v1.Node)); // no shared label
        Assert.False(_resolver.StillLeadsTo(snapshot, _blue, destination, Transport.Udp, v1.Node)); // a TCP instance only
        Assert.False(_resolver.StillLeadsTo(snapshot, _blue, destination, Transport.Tcp, new IPEndPoint(Node2, 40009))); // no such instance

        // A rule sends web to v2 only: the v1 instance is still there, but connections to it should follow.
        Rules("- {id: v2-only, destination: web, route: {backends: [{tags: [version=v2]}]}}");
        snapshot = Snapshot();
        Assert.False(_resolver.StillLeadsTo(snapshot, _blue, destination, Transport.Tcp, v1.Node));
        Assert.True(_resolver.StillLeadsTo(snapshot, _blue, destination, Transport.Tcp, new IPEndPoint(Node2, 40002)));

        // The instance leaves: gone for the virtual IP and for the vservice in front of it.
        _rules.Clear();
        _servers.Remove(v1);
        snapshot = Snapshot();
        Assert.False(_resolver.StillLeadsTo(snapshot, _blue, destination, Transport.Tcp, v1.Node));
        Assert.False(_resolver.StillLeadsTo(snapshot, _blue, viaVService, Transport.Tcp, v1.Node));
        // An address outside AppSwitch leads where it is; the agent's DNS is where the app's 127.0.0.1:53 goes.
        Assert.True(_resolver.StillLeadsTo(snapshot, _blue, IPEndPoint.Parse("10.77.0.9:80"), Transport.Tcp, IPEndPoint.Parse("10.77.0.9:80")));
        Assert.True(_resolver.StillLeadsTo(snapshot, _blue, IPEndPoint.Parse("127.0.0.1:53"), Transport.Udp, Dns));
    }

    [Fact]
    public void Route_rule_weights_split_connects_between_tagged_instances()
    {
        Server("198.18.0.10", 80, Node2, 40001, name: "web", version: "v1");
        Server("198.18.0.11", 80, Node2, 40002, name: "web", version: "v2");
        Rules("- {id: split, destination: web, route: {backends: [{tags: [version=v2], weight: 0.25}, {tags: [version=v1]}]}}");
        var snapshot = Snapshot();
        const int draws = 4000;
        var v2 = Enumerable.Range(0, draws).Count(_ => Target(snapshot, _blue, "198.18.0.10:80")!.Port == 40002);
        Assert.InRange(v2 / (double)draws, 0.22, 0.28);
    }

    [Fact]
    public void Http_services_with_request_level_rules_go_to_the_http_relay_with_the_route()
    {
        Server("198.18.0.10", 80, Node2, 40001, name: "web", version: "v1", protocol: "http");
        Rules("- {id: canary, destination: web, match: {headers: {x-canary: \"1\"}}, route: {backends: [{tags: [version=v1]}]}}");
        var decided = _resolver.Resolve(Snapshot(), _blue, IPEndPoint.Parse("198.18.0.10:80"), Transport.Tcp);
        Assert.Equal(HttpRelay, decided?.EndPoint);
        Assert.Equal(new HttpRelayHandoff(_blue, "web", IPEndPoint.Parse("198.18.0.10:80")), decided?.Relay);
    }

    [Fact]
    public void A_relay_client_from_outside_reaches_every_server_and_learns_why_not_when_nobody_serves()
    {
        Server("198.18.0.20", 8080, Node2, 41000, zone: "red");
        VService("web", "198.18.0.30", 9000, 8080, "198.18.0.20", external: true);
        var snapshot = Snapshot();
        Assert.Equal(new IPEndPoint(Node2, 41000), _resolver.ResolveForOutsider(snapshot, new VServiceRoute("n1", "web", 9000), out _)?.EndPoint);
        Assert.Null(_resolver.ResolveForOutsider(snapshot, new VServiceRoute("n1", "gone", 9000), out var reason));
        Assert.Equal("vservice gone is gone", reason);
        Assert.Null(_resolver.ResolveForOutsider(snapshot, new ExposeRoute("n1", "app9", 80), out reason));
        Assert.Contains("has no server on port 80", reason);
    }

    [Fact]
    public void Only_the_nodes_nameservers_on_port_53_lead_to_the_agents_dns_and_only_while_it_serves()
    {
        IPEndPoint[] nameservers = [IPEndPoint.Parse("10.255.255.53:53"), IPEndPoint.Parse("127.0.0.53:53")];
        var resolver = new ConnectTargetResolver(new BackendPicker(), NullLogger.Instance,
            transport => transport == Transport.Udp ? Dns : null, nodeNameservers: nameservers);
        Assert.Equal(Dns, resolver.ResolveNodeNameserver(IPEndPoint.Parse("10.255.255.53:53"), Transport.Udp)?.EndPoint);
        Assert.Equal(Dns, resolver.ResolveNodeNameserver(IPEndPoint.Parse("[::ffff:127.0.0.53]:53"), Transport.Udp)?.EndPoint);
        Assert.Null(resolver.ResolveNodeNameserver(IPEndPoint.Parse("10.255.255.53:5353"), Transport.Udp)); // not the DNS port
        Assert.Null(resolver.ResolveNodeNameserver(IPEndPoint.Parse("10.255.255.54:53"), Transport.Udp)); // not a nameserver
        Assert.Null(resolver.ResolveNodeNameserver(IPEndPoint.Parse("10.255.255.53:53"), Transport.Tcp)); // no DNS on TCP here
        Assert.Null(_resolver.ResolveNodeNameserver(IPEndPoint.Parse("10.255.255.53:53"), Transport.Udp)); // no nameservers given
    }

    [Fact]
    public void Before_the_clusters_table_is_here_only_an_unknown_address_may_wait_for_it()
    {
        Server("198.18.0.10", 80, Node2, 40000, remote: true);
        var readiness = new ClusterReadiness();
        var resolver = new ConnectTargetResolver(new BackendPicker(), NullLogger.Instance, readiness: readiness);
        var snapshot = Snapshot();
        // Not synced: an address the snapshot does not know may be another node's virtual IP.
        var unknown = resolver.Resolve(snapshot, _blue, IPEndPoint.Parse("198.18.0.99:80"), Transport.Tcp);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.18.0.99"), 80), unknown?.EndPoint);
        Assert.True(unknown!.UntilClusterSynced);
        // A known virtual IP is decided at once, never held; nor is a refusal turned into a wait.
        Assert.False(resolver.Resolve(snapshot, _blue, IPEndPoint.Parse("198.18.0.10:80"), Transport.Tcp)!.UntilClusterSynced);
        Assert.Null(resolver.Resolve(snapshot, _red, IPEndPoint.Parse("198.18.0.10:80"), Transport.Tcp));

        Assert.True(readiness.MarkSynced("test"));
        Assert.False(readiness.MarkSynced("again"));
        Assert.False(resolver.Resolve(snapshot, _blue, IPEndPoint.Parse("198.18.0.99:80"), Transport.Tcp)!.UntilClusterSynced);
    }
}
