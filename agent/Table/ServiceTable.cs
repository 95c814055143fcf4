using System.Net;
using AppSwitch.Common.Model;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Table;

/// <summary>
/// This node's apps, servers and swapped sockets, and the replicas of the other nodes' — the one source of truth.
/// Reads on the connect path take one short lock. Every change publishes a new revision (<see cref="Revisions"/>)
/// that the state writer, the replicator, the relays and DNS watch on their own threads.
/// </summary>
public sealed class ServiceTable(NodeIdentity node)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AppEntry> _apps = new();
    private readonly Dictionary<ulong, ServerEntry> _serversByInode = new();
    private readonly Dictionary<(IPAddress, int, Transport), List<ServerEntry>> _serversByVirtual = new();
    private readonly Dictionary<(IPAddress, int), ServerEntry> _serversByNode = new();
    private readonly Dictionary<ulong, SocketEntry> _sockets = new();
    private readonly Dictionary<IPAddress, int> _virtualIpUse = new();
    // Indexes of what a vservice add checks for conflicts (O(1) each, not a scan of every replica and server):
    // the addresses of _serversByVirtual's keys, the other nodes' own addresses, and which nodes hold a vservice name.
    private readonly UseCount<IPAddress> _serverAddressUse = new();
    private readonly UseCount<IPAddress> _remoteNodeAddressUse = new();
    private readonly Dictionary<string, List<string>> _remoteVServiceOwners = new();
    private long _relayRevision;
    // Replicas of the other nodes' own entries, as they published them.
    private readonly Dictionary<string, (IPAddress Address, IReadOnlyList<AppEntry> Apps, IReadOnlyList<ServerEntry> Servers)> _remote = new();
    // Virtual services: this node's own by name, the other nodes' replicas, and every one of them by virtual IP.
    private readonly Dictionary<string, VServiceEntry> _vservices = new();
    private readonly Dictionary<string, IReadOnlyList<VServiceEntry>> _remoteVServices = new();
    private readonly Dictionary<IPAddress, VServiceEntry> _vservicesByIp = new();

    public NodeIdentity Node => node;

    /// <summary>This node's egress policy as `ax get apps` shows it for its apps (and publishes with them).</summary>
    public string Egress { get; init; } = "allow";

    /// <summary>Raised by every change, of this node's entries or a replica's; consumers subscribe there.</summary>
    public TableRevisions Revisions { get; } = new();

    /// <summary>The virtual peers of translated connections (getpeername), under their own lock.</summary>
    public PeerRecords Peers { get; } = new();

    /// <summary>
    /// Raised after any change a routing decision reads (apps, servers, vservices, of this node or a replica), on the
    /// changing thread, outside the lock. Synchronous on purpose, and cheap (it only marks the routing snapshot stale):
    /// a connect made right after a `listen` was answered must already see the new server.
    /// </summary>
    public event Action? RoutingChanged;

    private void OnRoutingChanged() => RoutingChanged?.Invoke();

    /// <summary>
    /// Raised by changes of what the relays are planned from (apps exposing a port, external vservices; of any
    /// node): the relay manager plans again only then, not at every revision (a plan reads every vservice).
    /// </summary>
    public long RelayRevision => Interlocked.Read(ref _relayRevision);

    private void RelayInputChangedIf(bool changed)
    {
        if (changed) Interlocked.Increment(ref _relayRevision);
    }

    private static bool HasRelayInputs(IReadOnlyList<AppEntry> apps, IReadOnlyList<VServiceEntry> vservices) =>
        apps.Any(a => a.Expose.Count > 0) || vservices.Any(v => v.External);

    /// <summary>Everything routing decisions read, copied under one lock (see <see cref="TableImage"/>).</summary>
    public TableImage Image()
    {
        lock (_lock)
        {
            var apps = new List<AppEntry>(_apps.Values);
            var servers = new List<ServerEntry>(_serversByInode.Values);
            var vservices = new List<VServiceEntry>(_vservices.Values);
            var remoteNodes = new List<(string, IPAddress)>(_remote.Count);
            foreach (var (name, replica) in _remote)
            {
                apps.AddRange(replica.Apps);
                servers.AddRange(replica.Servers);
                remoteNodes.Add((name, replica.Address));
                if (_remoteVServices.TryGetValue(name, out var replicas)) vservices.AddRange(replicas);
            }
            return new TableImage(node, apps, servers, vservices, remoteNodes);
        }
    }

    /// <summary>Tells listeners that an app's contents changed in place (e.g. its known pids).</summary>
    public void Touch(AppEntry app) => Revisions.Publish(new TableChange(TableChangeKind.App, App: app));

    public void AddApp(AppEntry app)
    {
        bool exposes;
        lock (_lock)
        {
            exposes = app.Expose.Count > 0 || _apps.GetValueOrDefault(app.Id)?.Expose.Count > 0;
            _apps[app.Id] = app;
            UseVirtualIpLocked(app, +1);
        }
        RelayInputChangedIf(exposes);
        OnRoutingChanged();
        Revisions.Publish(new TableChange(TableChangeKind.App, App: app));
    }

    /// <summary>Removes the app and everything it owned; returns false when it was not known.</summary>
    public bool RemoveApp(string appId)
    {
        AppEntry? app;
        lock (_lock)
        {
            if (!_apps.Remove(appId, out app)) return false;
            UseVirtualIpLocked(app, -1);
            foreach (var server in _serversByInode.Values.Where(s => s.App == app).ToList()) RemoveServerLocked(server);
            foreach (var socket in _sockets.Values.Where(s => s.App == app).ToList()) _sockets.Remove(socket.Inode);
        }
        Peers.ForgetApp(app);
        RelayInputChangedIf(app.Expose.Count > 0);
        OnRoutingChanged();
        Revisions.Publish(new TableChange(TableChangeKind.AppRemoved, AppId: appId));
        return true;
    }

    private void UseVirtualIpLocked(AppEntry app, int delta)
    {
        if (app.VirtualIp is not { } ip) return;
        var n = _virtualIpUse.GetValueOrDefault(ip) + delta;
        if (n <= 0) _virtualIpUse.Remove(ip); else _virtualIpUse[ip] = n;
    }

    /// <summary>
    /// Replaces everything known of another node with what it published (its own apps, servers and vservices).
    /// Remote entries serve connects like local ones; a replica's change publishes a revision but is not saved.
    /// </summary>
    public void ReplaceRemote(RemoteNodeRef remoteNode, IReadOnlyList<AppEntry> apps, IReadOnlyList<ServerEntry> servers,
        IReadOnlyList<VServiceEntry>? vservices = null)
    {
        lock (_lock)
        {
            RelayInputChangedIf(HasRelayInputs(apps, vservices ?? []) || HasRelayInputsLocked(remoteNode.Name));
            RemoveRemoteLocked(remoteNode.Name);
            var address = IpAddresses.Normalize(remoteNode.Address);
            _remote[remoteNode.Name] = (address, apps, servers);
            _remoteNodeAddressUse.Add(address);
            foreach (var app in apps) UseVirtualIpLocked(app, +1);
            foreach (var server in servers) IndexServerLocked(server);
            _remoteVServices[remoteNode.Name] = vservices ?? [];
            // A VIP claimed on two nodes at once (a race between creations) keeps the entry indexed first.
            foreach (var vservice in vservices ?? [])
            {
                _vservicesByIp.TryAdd(vservice.VirtualIp, vservice);
                IndexRemoteVServiceNameLocked(vservice.Name, remoteNode.Name);
            }
        }
        OnRoutingChanged();
        Revisions.Publish(TableChange.Derived);
    }

    /// <summary>
    /// Raised (on the replicator's thread, outside the lock) when a node the cluster declared dead is forgotten: its
    /// instances vanished without closing their connections (agent/Following resets the apps' ones).
    /// </summary>
    public event Action<RemoteNodeRef>? RemoteNodeDied;

    /// <summary>Forgets a node that died (<paramref name="declaredDead"/>) or left: its apps and servers disappear.</summary>
    public bool RemoveRemote(string nodeName, bool declaredDead = false)
    {
        IPAddress? address;
        lock (_lock)
        {
            address = _remote.TryGetValue(nodeName, out var replica) ? replica.Address : null;
            RelayInputChangedIf(HasRelayInputsLocked(nodeName));
            if (!RemoveRemoteLocked(nodeName)) return false;
        }
        OnRoutingChanged();
        Revisions.Publish(TableChange.Derived);
        if (declaredDead && address is not null) RemoteNodeDied?.Invoke(new RemoteNodeRef(nodeName, address));
        return true;
    }

    private bool HasRelayInputsLocked(string nodeName) =>
        _remote.TryGetValue(nodeName, out var replica) && HasRelayInputs(replica.Apps, _remoteVServices.GetValueOrDefault(nodeName) ?? []);

    private bool RemoveRemoteLocked(string nodeName)
    {
        if (!_remote.Remove(nodeName, out var replica)) return false;
        _remoteNodeAddressUse.Remove(replica.Address);
        foreach (var app in replica.Apps) UseVirtualIpLocked(app, -1);
        foreach (var server in replica.Servers) UnindexServerLocked(server);
        if (_remoteVServices.Remove(nodeName, out var vservices))
            foreach (var vservice in vservices)
            {
                UnindexVServiceLocked(vservice);
                UnindexRemoteVServiceNameLocked(vservice.Name, nodeName);
            }
        return true;
    }

    private void IndexRemoteVServiceNameLocked(string name, string owner)
    {
        if (!_remoteVServiceOwners.TryGetValue(name, out var owners)) _remoteVServiceOwners[name] = owners = [];
        owners.Add(owner);
    }

    private void UnindexRemoteVServiceNameLocked(string name, string owner)
    {
        if (!_remoteVServiceOwners.TryGetValue(name, out var owners)) return;
        owners.Remove(owner);
        if (owners.Count == 0) _remoteVServiceOwners.Remove(name);
    }

    /// <summary>A node that holds a replica vservice of this name, or null.</summary>
    private string? RemoteVServiceOwnerLocked(string name) =>
        _remoteVServiceOwners.TryGetValue(name, out var owners) ? owners[0] : null;

    /// <summary>The replica of each other node, by node name.</summary>
    public IReadOnlyList<NodeReplica> Replicas()
    {
        lock (_lock)
            return _remote.OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => new NodeReplica(r.Key, r.Value.Address, r.Value.Apps, r.Value.Servers, _remoteVServices.GetValueOrDefault(r.Key) ?? []))
                .ToList();
    }

    /// <summary>Counts of the replica of each other node (for `ax get nodes`).</summary>
    public IReadOnlyDictionary<string, (int Apps, int Servers)> RemoteCounts()
    {
        lock (_lock) return _remote.ToDictionary(r => r.Key, r => (r.Value.Apps.Count, r.Value.Servers.Count));
    }

    public AppEntry? FindApp(string appId)
    {
        lock (_lock) return _apps.GetValueOrDefault(appId);
    }

    public IReadOnlyList<AppEntry> Apps()
    {
        lock (_lock) return _apps.Values.ToArray();
    }

    /// <summary>Publishes a server of this node; its socket (now listening, or a UDP one) is what gets saved.</summary>
    public void AddServer(ServerEntry server)
    {
        SocketEntry? socket;
        lock (_lock)
        {
            if (_serversByInode.TryGetValue(server.Inode, out var old)) RemoveServerLocked(old);
            _serversByInode[server.Inode] = server;
            IndexServerLocked(server);
            socket = _sockets.GetValueOrDefault(server.Inode);
        }
        OnRoutingChanged();
        Revisions.Publish(socket is null ? TableChange.Derived : new TableChange(TableChangeKind.Socket, Socket: socket));
    }

    public void RemoveServer(ulong inode)
    {
        lock (_lock)
        {
            if (_serversByInode.TryGetValue(inode, out var server)) RemoveServerLocked(server);
        }
        OnRoutingChanged();
        Revisions.Publish(TableChange.Derived);
    }

    private void RemoveServerLocked(ServerEntry server)
    {
        _serversByInode.Remove(server.Inode);
        UnindexServerLocked(server);
    }

    private void IndexServerLocked(ServerEntry server)
    {
        var key = (IpAddresses.Normalize(server.Virtual.Address), server.Virtual.Port, server.Transport);
        if (!_serversByVirtual.TryGetValue(key, out var list))
        {
            _serversByVirtual[key] = list = [];
            _serverAddressUse.Add(key.Item1);
        }
        list.Add(server);
        _serversByNode[(IpAddresses.Normalize(server.Node.Address), server.Node.Port)] = server;
    }

    private void UnindexServerLocked(ServerEntry server)
    {
        var key = (IpAddresses.Normalize(server.Virtual.Address), server.Virtual.Port, server.Transport);
        if (_serversByVirtual.TryGetValue(key, out var list))
        {
            list.Remove(server);
            if (list.Count == 0)
            {
                _serversByVirtual.Remove(key);
                _serverAddressUse.Remove(key.Item1);
            }
        }
        var nodeKey = (IpAddresses.Normalize(server.Node.Address), server.Node.Port);
        if (_serversByNode.TryGetValue(nodeKey, out var byNode) && byNode == server) _serversByNode.Remove(nodeKey);
    }

    /// <summary>
    /// True when the address is some app's virtual IP or some server's service address. A node's own
    /// address is never virtual: ports nobody published there belong to that node's network.
    /// </summary>
    public bool IsVirtual(IPAddress address)
    {
        address = IpAddresses.Normalize(address);
        if (address.Equals(node.Address)) return false;
        lock (_lock)
        {
            if (_remoteNodeAddressUse.Contains(address)) return false; // another node's own address
            return _virtualIpUse.ContainsKey(address) || _vservicesByIp.ContainsKey(address) || _serverAddressUse.Contains(address);
        }
    }

    /// <summary>
    /// The virtual IPs a DNS name stands for: every app of any node with that `--name` and a virtual IP, and every
    /// vservice of that name (case-insensitive). Empty when the name is unknown.
    /// </summary>
    public IReadOnlyList<IPAddress> AddressesOfName(string name)
    {
        var found = new List<IPAddress>();
        lock (_lock)
        {
            foreach (var app in _apps.Values.Concat(_remote.Values.SelectMany(r => r.Apps)))
                if (app.VirtualIp is { } ip && string.Equals(app.Name, name, StringComparison.OrdinalIgnoreCase) && !found.Contains(ip))
                    found.Add(ip);
            foreach (var vservice in _vservicesByIp.Values)
                if (string.Equals(vservice.Name, name, StringComparison.OrdinalIgnoreCase) && !found.Contains(vservice.VirtualIp))
                    found.Add(vservice.VirtualIp);
        }
        return found;
    }

    /// <summary>True when an app, server or vservice of any node uses the address, or it is a node's own address.</summary>
    public bool IsAddressInUse(IPAddress address)
    {
        address = IpAddresses.Normalize(address);
        if (address.Equals(node.Address)) return true;
        lock (_lock)
            if (_remoteNodeAddressUse.Contains(address)) return true;
        return IsVirtual(address);
    }

    /// <summary>
    /// Adds a vservice of this node; false with the reason when its name or IP is taken (by a vservice of any
    /// node, an app's virtual IP, a server's address or a node address).
    /// </summary>
    public bool AddVService(VServiceEntry vservice, out string? conflict)
    {
        lock (_lock)
        {
            conflict = VServiceConflictLocked(vservice);
            if (conflict is not null) return false;
            _vservices[vservice.Name] = vservice;
            _vservicesByIp[vservice.VirtualIp] = vservice;
        }
        RelayInputChangedIf(vservice.External);
        OnRoutingChanged();
        Revisions.Publish(new TableChange(TableChangeKind.VService, VService: vservice));
        return true;
    }

    private string? VServiceConflictLocked(VServiceEntry vservice)
    {
        var ip = vservice.VirtualIp;
        if (_vservices.ContainsKey(vservice.Name)) return $"vservice '{vservice.Name}' already exists";
        if (RemoteVServiceOwnerLocked(vservice.Name) is { } owner) return $"vservice '{vservice.Name}' already exists (on node {owner})";
        if (_vservicesByIp.TryGetValue(ip, out var other)) return $"ip {ip} is already used by vservice '{other.Name}'";
        if (_virtualIpUse.ContainsKey(ip) || _serverAddressUse.Contains(ip)) return $"ip {ip} is already used by an app";
        if (ip.Equals(node.Address) || _remoteNodeAddressUse.Contains(ip)) return $"ip {ip} is a node address";
        return null;
    }

    /// <summary>Deletes a vservice of this node. A replica is not deleted here: <paramref name="owner"/> names its node.</summary>
    public VServiceRemoval RemoveVService(string name, out string? owner)
    {
        owner = null;
        lock (_lock)
        {
            if (!_vservices.Remove(name, out var vservice))
            {
                owner = RemoteVServiceOwnerLocked(name);
                return owner is null ? VServiceRemoval.NotFound : VServiceRemoval.OwnedElsewhere;
            }
            UnindexVServiceLocked(vservice);
            RelayInputChangedIf(vservice.External);
        }
        OnRoutingChanged();
        Revisions.Publish(new TableChange(TableChangeKind.VServiceRemoved, VServiceName: name));
        return VServiceRemoval.Removed;
    }

    private void UnindexVServiceLocked(VServiceEntry vservice)
    {
        if (_vservicesByIp.TryGetValue(vservice.VirtualIp, out var indexed) && indexed == vservice)
            _vservicesByIp.Remove(vservice.VirtualIp);
    }

    /// <summary>The vservice (of any node) whose virtual IP this is, or null.</summary>
    public VServiceEntry? FindVService(IPAddress address)
    {
        lock (_lock) return _vservicesByIp.GetValueOrDefault(IpAddresses.Normalize(address));
    }

    /// <summary>This node's own vservice of that name, or null.</summary>
    public VServiceEntry? FindOwnVService(string name)
    {
        lock (_lock) return _vservices.GetValueOrDefault(name);
    }

    /// <summary>This node's own vservices (what it publishes and saves).</summary>
    public IReadOnlyList<VServiceEntry> VServices()
    {
        lock (_lock) return _vservices.Values.ToArray();
    }

    /// <summary>The servers behind a virtual ip:port (a copy; empty when none).</summary>
    public IReadOnlyList<ServerEntry> ServersFor(IPAddress address, int port, Transport transport)
    {
        lock (_lock)
            return _serversByVirtual.TryGetValue((IpAddresses.Normalize(address), port, transport), out var list)
                ? list.ToArray() : [];
    }

    /// <summary>The server whose real node socket is at ip:port (to translate accepted sockets' local addresses).</summary>
    public ServerEntry? ServerAtNode(IPAddress address, int port)
    {
        lock (_lock) return _serversByNode.GetValueOrDefault((IpAddresses.Normalize(address), port));
    }

    public IReadOnlyList<ServerEntry> Servers()
    {
        lock (_lock) return _serversByInode.Values.ToArray();
    }

    /// <summary>Every node's vservices, this node's own and the replicas (for the relays of external ones).</summary>
    public IReadOnlyList<VServiceEntry> AllVServices()
    {
        lock (_lock) return _vservices.Values.Concat(_remoteVServices.Values.SelectMany(v => v)).ToArray();
    }

    /// <summary>The server an app (of any node) has on one of its ports, or null when it has none (any more).</summary>
    public ServerEntry? ServerOfApp(string nodeName, string appId, int appPort, Transport transport)
    {
        lock (_lock)
        {
            IEnumerable<ServerEntry> servers = nodeName == node.Name ? _serversByInode.Values
                : _remote.TryGetValue(nodeName, out var replica) ? replica.Servers : [];
            foreach (var server in servers)
                if (server.App.Id == appId && server.Virtual.Port == appPort && server.Transport == transport) return server;
            return null;
        }
    }

    public void AddSocket(SocketEntry socket)
    {
        lock (_lock) _sockets[socket.Inode] = socket;
        Revisions.Publish(new TableChange(TableChangeKind.Socket, Socket: socket));
    }

    public SocketEntry? FindSocket(ulong inode)
    {
        lock (_lock) return _sockets.GetValueOrDefault(inode);
    }

    public void RemoveSocket(ulong inode)
    {
        lock (_lock) _sockets.Remove(inode);
        Revisions.Publish(new TableChange(TableChangeKind.SocketRemoved, Inode: inode));
    }

    public IReadOnlyList<SocketEntry> Sockets()
    {
        lock (_lock) return _sockets.Values.ToArray();
    }
}
