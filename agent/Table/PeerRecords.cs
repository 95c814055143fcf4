using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>
/// Connected sockets whose destination was virtual: inode → (owner, the virtual address it connected to, and where it
/// went), for getpeername after the server is gone and for moving the socket when its instance leaves. Bounded, oldest
/// out first; no sweeping needed: socket inode numbers come from an ever-increasing counter, so a closed socket's stale
/// entry is never looked up again before it is pushed out (the follower drops closed UDP ones it comes across).
/// Its own lock: the connect path records here without touching the table's.
/// </summary>
public sealed class PeerRecords
{
    public const int Capacity = 1 << 16;
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, (AppEntry App, IPEndPoint VirtualPeer, PeerTarget? Target)> _peers = new();
    private readonly Queue<ulong> _order = new();
    // The UDP ones among them, which the follower reads after every table change: a walk of these only, not of every
    // TCP connection, holds the lock the connect path records under.
    private readonly HashSet<ulong> _udp = [];

    /// <summary>Remembers the virtual address a translated connection was made to (and, to follow it, where it went).</summary>
    public void Record(ulong inode, AppEntry app, IPEndPoint virtualPeer, PeerTarget? target = null)
    {
        lock (_lock)
        {
            if (_peers.TryAdd(inode, (app, virtualPeer, target))) _order.Enqueue(inode);
            else _peers[inode] = (app, virtualPeer, target);
            if (target?.Transport == Transport.Udp) _udp.Add(inode);
            while (_order.Count > Capacity) Remove(_order.Dequeue());
        }
    }

    public IPEndPoint? Find(ulong inode)
    {
        lock (_lock) return _peers.TryGetValue(inode, out var peer) ? peer.VirtualPeer : null;
    }

    /// <summary>The followable connections of one transport (a copy: the caller may take its time).</summary>
    public List<PeerConnection> Connections(Transport transport)
    {
        var list = new List<PeerConnection>();
        lock (_lock)
        {
            if (transport == Transport.Udp)
            {
                foreach (var inode in _udp)
                    if (_peers.TryGetValue(inode, out var peer) && peer.Target is { } t) list.Add(new PeerConnection(inode, peer.App, peer.VirtualPeer, t));
                return list;
            }
            foreach (var (inode, (app, virtualPeer, target)) in _peers)
                if (target is { } t && t.Transport == transport) list.Add(new PeerConnection(inode, app, virtualPeer, t));
        }
        return list;
    }

    /// <summary>Records that the socket was moved to another instance.</summary>
    public void Retarget(ulong inode, IPEndPoint target)
    {
        lock (_lock)
            if (_peers.TryGetValue(inode, out var peer) && peer.Target is { } old)
                _peers[inode] = peer with { Target = old with { Target = target } };
    }

    /// <summary>Forgets one socket (closed by its app).</summary>
    public void Forget(ulong inode)
    {
        lock (_lock) Remove(inode); // its slot in the order queue is skipped when it comes out
    }

    private void Remove(ulong inode)
    {
        _peers.Remove(inode);
        _udp.Remove(inode);
    }

    /// <summary>Forgets the connections of an app that left.</summary>
    public void ForgetApp(AppEntry app)
    {
        lock (_lock)
            foreach (var (inode, _) in _peers.Where(p => p.Value.App == app).ToList()) Remove(inode);
    }
}
