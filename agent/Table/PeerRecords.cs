using System.Net;

namespace AppSwitch.Agent.Table;

/// <summary>
/// Connected sockets whose destination was virtual: inode → (owner, the virtual address it connected to), for
/// getpeername after the server is gone. Bounded, oldest out first; no sweeping: socket inode numbers come from an
/// ever-increasing counter, so a closed socket's stale entry is never looked up again before it is pushed out.
/// Its own lock: the connect path records here without touching the table's.
/// </summary>
public sealed class PeerRecords
{
    public const int Capacity = 1 << 16;
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, (AppEntry App, IPEndPoint VirtualPeer)> _peers = new();
    private readonly Queue<ulong> _order = new();

    /// <summary>Remembers the virtual address a translated connection was made to.</summary>
    public void Record(ulong inode, AppEntry app, IPEndPoint virtualPeer)
    {
        lock (_lock)
        {
            if (_peers.TryAdd(inode, (app, virtualPeer))) _order.Enqueue(inode);
            else _peers[inode] = (app, virtualPeer);
            while (_order.Count > Capacity) _peers.Remove(_order.Dequeue());
        }
    }

    public IPEndPoint? Find(ulong inode)
    {
        lock (_lock) return _peers.TryGetValue(inode, out var peer) ? peer.VirtualPeer : null;
    }

    /// <summary>Forgets the connections of an app that left.</summary>
    public void ForgetApp(AppEntry app)
    {
        lock (_lock)
            foreach (var (inode, _) in _peers.Where(p => p.Value.App == app).ToList()) _peers.Remove(inode);
    }
}
