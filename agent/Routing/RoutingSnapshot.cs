using AppSwitch.Common.Net;
using System.Collections.Frozen;
using System.Net;
using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Agent.Xds;

namespace AppSwitch.Agent.Routing;

/// <summary>
/// Everything a routing decision reads, as one immutable, versioned picture: every node's servers by virtual and by
/// node ip:port and by service, the virtual and node addresses, the vservices, every node's relay listeners, the
/// rules in force, the Kubernetes view and the egress policy. Built by <see cref="RoutingSnapshotSource"/> after a
/// change; a decision reads one snapshot throughout, so it never sees half of an update.
/// </summary>
internal sealed class RoutingSnapshot
{
    private readonly FrozenDictionary<IPAddress, VServiceEntry> _vservicesByIp;
    private readonly FrozenDictionary<(IPAddress, int, Transport), ServerEntry[]> _serversByVirtual;
    private readonly FrozenDictionary<(string, int, Transport), ServerEntry[]> _serversByService;
    private readonly FrozenDictionary<(IPAddress, int), ServerEntry> _serversByNode;
    private readonly FrozenSet<IPAddress> _virtualAddresses;
    private readonly FrozenDictionary<IPAddress, string> _nodeNames;
    private readonly FrozenDictionary<(IPAddress, int), RelayRoute> _relayListeners;

    private RoutingSnapshot(long version, TableImage table, RuleIndex rules, KubernetesRegistryView kubernetes, EgressPolicy egress, XdsRegistryView xds)
    {
        Xds = xds;
        Version = version;
        Node = table.Node;
        Rules = rules;
        Kubernetes = kubernetes;
        Egress = egress;
        Apps = table.Apps;
        VServices = table.VServices;

        var byVirtual = new Dictionary<(IPAddress, int, Transport), List<ServerEntry>>();
        var byService = new Dictionary<(string, int, Transport), List<ServerEntry>>();
        var byNode = new Dictionary<(IPAddress, int), ServerEntry>();
        foreach (var server in table.Servers)
        {
            Add(byVirtual, (IpAddresses.Normalize(server.Virtual.Address), server.Virtual.Port, server.Transport), server);
            if (server.App.Name is { Length: > 0 } service) Add(byService, (service, server.Virtual.Port, server.Transport), server);
            byNode[(IpAddresses.Normalize(server.Node.Address), server.Node.Port)] = server;
        }
        _serversByVirtual = byVirtual.ToFrozenDictionary(e => e.Key, e => e.Value.ToArray());
        _serversByService = byService.ToFrozenDictionary(e => e.Key, e => e.Value.ToArray());
        _serversByNode = byNode.ToFrozenDictionary();

        // This node's vservices first: a VIP claimed on two nodes at once keeps the entry indexed first (as the table).
        var vservicesByIp = new Dictionary<IPAddress, VServiceEntry>();
        foreach (var vservice in table.VServices) vservicesByIp.TryAdd(vservice.VirtualIp, vservice);
        _vservicesByIp = vservicesByIp.ToFrozenDictionary();

        var nodeNames = new Dictionary<IPAddress, string> { [IpAddresses.Normalize(Node.Address)] = Node.Name };
        foreach (var (name, address) in table.RemoteNodes) nodeNames.TryAdd(IpAddresses.Normalize(address), name);
        _nodeNames = nodeNames.ToFrozenDictionary();

        var virtualAddresses = new HashSet<IPAddress>(vservicesByIp.Keys);
        foreach (var app in table.Apps)
            if (app.VirtualIp is { } ip) virtualAddresses.Add(IpAddresses.Normalize(ip));
        foreach (var (address, _, _) in byVirtual.Keys) virtualAddresses.Add(address);
        virtualAddresses.ExceptWith(nodeNames.Keys); // a node's own address is never virtual
        _virtualAddresses = virtualAddresses.ToFrozenSet();

        var relayListeners = new Dictionary<(IPAddress, int), RelayRoute>();
        foreach (var (address, name) in nodeNames)
            foreach (var spec in RelayPlanner.Plan(table, name, address))
                relayListeners.TryAdd((address, spec.Listener.Port), spec.Route); // the first one keeps a contested listener
        _relayListeners = relayListeners.ToFrozenDictionary();
    }

    /// <summary>Grows with every change of a source; two snapshots of one version hold the same picture.</summary>
    public long Version { get; }

    public NodeIdentity Node { get; }
    public RuleIndex Rules { get; }
    public KubernetesRegistryView Kubernetes { get; }
    public EgressPolicy Egress { get; }

    /// <summary>What istiod sent and the agent accepted: xDS subset tags are resolved against its clusters' endpoints.</summary>
    public XdsRegistryView Xds { get; }

    /// <summary>Every node's apps, this node's first.</summary>
    public IReadOnlyList<AppEntry> Apps { get; }

    /// <summary>Every node's vservices, this node's first.</summary>
    public IReadOnlyList<VServiceEntry> VServices { get; }

    public static RoutingSnapshot Build(long version, TableImage table, RuleIndex rules, KubernetesRegistryView kubernetes, EgressPolicy egress,
        XdsRegistryView? xds = null) =>
        new(version, table, rules, kubernetes, egress, xds ?? XdsRegistryView.Empty);

    /// <summary>The vservice (of any node) whose virtual IP this is (normalized), or null.</summary>
    public VServiceEntry? FindVService(IPAddress address) => _vservicesByIp.GetValueOrDefault(address);

    /// <summary>The servers behind a virtual ip:port (normalized address); empty when none. Not a copy: do not change it.</summary>
    public IReadOnlyList<ServerEntry> ServersFor(IPAddress address, int port, Transport transport) =>
        _serversByVirtual.TryGetValue((address, port, transport), out var servers) ? servers : [];

    /// <summary>Every node's servers of apps named <paramref name="service"/> on a port: a service's instances (route rules).</summary>
    public IReadOnlyList<ServerEntry> ServersOfService(string service, int port, Transport transport) =>
        _serversByService.TryGetValue((service, port, transport), out var servers) ? servers : [];

    /// <summary>The server whose real node socket is at ip:port (normalized address), or null.</summary>
    public ServerEntry? ServerAtNode(IPAddress address, int port) => _serversByNode.GetValueOrDefault((address, port));

    /// <summary>True when the (normalized) address is an app's virtual IP, a vservice's or a server's service address, and no node's own.</summary>
    public bool IsVirtual(IPAddress address) => _virtualAddresses.Contains(address);

    /// <summary>The route of the relay a node of the cluster runs at a node ip:port (normalized address), or null.</summary>
    public RelayRoute? RelayAt(IPAddress address, int port) => _relayListeners.GetValueOrDefault((address, port));

    /// <summary>The server an app (of any node) has on one of its ports, or null when it has none.</summary>
    public ServerEntry? ServerOfApp(string nodeName, string appId, int appPort, Transport transport)
    {
        foreach (var servers in _serversByVirtual.Values)
            foreach (var server in servers)
                if (server.App.Id == appId && server.Virtual.Port == appPort && server.Transport == transport
                    && (server.App.RemoteNode?.Name ?? Node.Name) == nodeName)
                    return server;
        return null;
    }

    /// <summary>The vservice <paramref name="name"/> of node <paramref name="owner"/>, or null.</summary>
    public VServiceEntry? VServiceOf(string owner, string name)
    {
        foreach (var vservice in VServices)
            if (vservice.Name == name && (vservice.RemoteNode?.Name ?? Node.Name) == owner) return vservice;
        return null;
    }

    private static void Add<TKey>(Dictionary<TKey, List<ServerEntry>> index, TKey key, ServerEntry server) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(server);
    }
}
