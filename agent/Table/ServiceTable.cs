using System.Net;
using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Table;

/// <summary>
/// This node's apps, servers and swapped sockets. Reads on the connect path take one short lock;
/// everything the REST API shows is a snapshot.
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
    // Connected sockets whose destination was virtual: inode → (owner, the virtual address it connected to).
    private readonly Dictionary<ulong, (AppEntry App, IPEndPoint VirtualPeer, long RecordedTicks)> _peers = new();

    public NodeIdentity Node => node;

    /// <summary>
    /// Raised after apps, servers or bound sockets change (not for connections): the state file follows it.
    /// Handlers run on the changing thread, outside the table's lock.
    /// </summary>
    public event Action? Changed;

    private void OnChanged() => Changed?.Invoke();

    /// <summary>Tells listeners that an entry's contents changed in place (e.g. an app's known pids).</summary>
    public void Touch() => OnChanged();

    public void AddApp(AppEntry app)
    {
        lock (_lock)
        {
            _apps[app.Id] = app;
            if (app.VirtualIp is { } ip) _virtualIpUse[ip] = _virtualIpUse.GetValueOrDefault(ip) + 1;
        }
        OnChanged();
    }

    /// <summary>Removes the app and everything it owned; returns false when it was not known.</summary>
    public bool RemoveApp(string appId)
    {
        AppEntry? app;
        lock (_lock)
        {
            if (!_apps.Remove(appId, out app)) return false;
            if (app.VirtualIp is { } ip && _virtualIpUse.TryGetValue(ip, out var n))
            {
                if (n <= 1) _virtualIpUse.Remove(ip); else _virtualIpUse[ip] = n - 1;
            }
            foreach (var server in _serversByInode.Values.Where(s => s.App == app).ToList()) RemoveServerLocked(server);
            foreach (var socket in _sockets.Values.Where(s => s.App == app).ToList()) _sockets.Remove(socket.Inode);
            foreach (var (inode, _) in _peers.Where(p => p.Value.App == app).ToList()) _peers.Remove(inode);
        }
        OnChanged();
        return true;
    }

    public AppEntry? FindApp(string appId)
    {
        lock (_lock) return _apps.GetValueOrDefault(appId);
    }

    public IReadOnlyList<AppEntry> Apps()
    {
        lock (_lock) return _apps.Values.ToArray();
    }

    public void AddServer(ServerEntry server)
    {
        lock (_lock)
        {
            if (_serversByInode.TryGetValue(server.Inode, out var old)) RemoveServerLocked(old);
            _serversByInode[server.Inode] = server;
            var key = (Normalize(server.Virtual.Address), server.Virtual.Port, server.Transport);
            if (!_serversByVirtual.TryGetValue(key, out var list)) _serversByVirtual[key] = list = [];
            list.Add(server);
            _serversByNode[(Normalize(server.Node.Address), server.Node.Port)] = server;
        }
        OnChanged();
    }

    public void RemoveServer(ulong inode)
    {
        lock (_lock)
        {
            if (_serversByInode.TryGetValue(inode, out var server)) RemoveServerLocked(server);
        }
        OnChanged();
    }

    private void RemoveServerLocked(ServerEntry server)
    {
        _serversByInode.Remove(server.Inode);
        var key = (Normalize(server.Virtual.Address), server.Virtual.Port, server.Transport);
        if (_serversByVirtual.TryGetValue(key, out var list))
        {
            list.Remove(server);
            if (list.Count == 0) _serversByVirtual.Remove(key);
        }
        var nodeKey = (Normalize(server.Node.Address), server.Node.Port);
        if (_serversByNode.TryGetValue(nodeKey, out var byNode) && byNode == server) _serversByNode.Remove(nodeKey);
    }

    /// <summary>
    /// True when the address is some app's virtual IP or some server's service address. The node's own
    /// address is never virtual: ports nobody published there belong to the node's network.
    /// </summary>
    public bool IsVirtual(IPAddress address)
    {
        address = Normalize(address);
        if (address.Equals(node.Address)) return false;
        lock (_lock)
        {
            if (_virtualIpUse.ContainsKey(address)) return true;
            foreach (var key in _serversByVirtual.Keys)
                if (key.Item1.Equals(address)) return true;
            return false;
        }
    }

    /// <summary>The servers behind a virtual ip:port (a copy; empty when none).</summary>
    public IReadOnlyList<ServerEntry> ServersFor(IPAddress address, int port, Transport transport)
    {
        lock (_lock)
            return _serversByVirtual.TryGetValue((Normalize(address), port, transport), out var list)
                ? list.ToArray() : [];
    }

    /// <summary>The server whose real node socket is at ip:port (to translate accepted sockets' local addresses).</summary>
    public ServerEntry? ServerAtNode(IPAddress address, int port)
    {
        lock (_lock) return _serversByNode.GetValueOrDefault((Normalize(address), port));
    }

    public IReadOnlyList<ServerEntry> Servers()
    {
        lock (_lock) return _serversByInode.Values.ToArray();
    }

    public void AddSocket(SocketEntry socket)
    {
        lock (_lock) _sockets[socket.Inode] = socket;
        OnChanged();
    }

    public SocketEntry? FindSocket(ulong inode)
    {
        lock (_lock) return _sockets.GetValueOrDefault(inode);
    }

    public void RemoveSocket(ulong inode)
    {
        lock (_lock) _sockets.Remove(inode);
        OnChanged();
    }

    /// <summary>Remembers the virtual address a translated connection was made to (getpeername outlives the server).</summary>
    public void RecordPeer(ulong inode, AppEntry app, IPEndPoint virtualPeer)
    {
        lock (_lock) _peers[inode] = (app, virtualPeer, Environment.TickCount64);
    }

    public IPEndPoint? FindPeer(ulong inode)
    {
        lock (_lock) return _peers.TryGetValue(inode, out var peer) ? peer.VirtualPeer : null;
    }

    /// <summary>
    /// Forgets connections whose sockets no longer exist. Only entries recorded before
    /// <paramref name="listedAtTicks"/> (when the live list was read) are judged by it.
    /// </summary>
    public int PrunePeers(IReadOnlySet<ulong> liveInodes, long listedAtTicks)
    {
        lock (_lock)
        {
            var gone = _peers.Where(p => p.Value.RecordedTicks < listedAtTicks && !liveInodes.Contains(p.Key))
                .Select(p => p.Key).ToList();
            foreach (var inode in gone) _peers.Remove(inode);
            return gone.Count;
        }
    }

    public int PeerCount
    {
        get { lock (_lock) return _peers.Count; }
    }

    public IReadOnlyList<SocketEntry> Sockets()
    {
        lock (_lock) return _sockets.Values.ToArray();
    }

    public IReadOnlyList<AppRecord> AppRecords()
    {
        lock (_lock)
            return _apps.Values.OrderBy(a => a.Started).Select(a => new AppRecord
            {
                AppId = a.Id, Name = a.Name, NodeId = node.Name, Cluster = node.Cluster,
                AppIp = (a.VirtualIp ?? node.Address).ToString(), Labels = a.Labels, Pid = a.Pid,
                Command = a.Command, Started = a.Started,
            }).ToList();
    }

    public IReadOnlyList<ServerRecord> ServerRecords()
    {
        lock (_lock)
            return _serversByInode.Values.OrderBy(s => s.Virtual.ToString()).Select(s => new ServerRecord
            {
                NodeId = node.Name, Cluster = node.Cluster, AppId = s.App.Id,
                Proto = s.Transport == Transport.Tcp ? "tcp" : "udp",
                ServiceAddr = s.Virtual.ToString(), Ipv4Addr = s.Node.ToString(), Inode = s.Inode,
            }).ToList();
    }

    public IReadOnlyList<SocketRecord> SocketRecords()
    {
        lock (_lock)
            return _sockets.Values.Select(s => new SocketRecord
            {
                Id = s.Id.ToString(), NodeId = node.Name, AppId = s.App.Id, Inode = s.Inode,
                Proto = s.Transport == Transport.Tcp ? "tcp" : "udp", BindIp = s.VirtualLocal.ToString(),
                NodeAddr = s.NodeLocal.ToString(), State = s.State.ToString().ToLowerInvariant(),
                PeerAddr = s.VirtualPeer?.ToString() ?? "", Backlog = s.Backlog,
            }).ToList();
    }

    /// <summary>IPv4-mapped IPv6 addresses become plain IPv4 so that both spellings find the same entry.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
