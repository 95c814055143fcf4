using System.Collections.Concurrent;
using System.Net;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Binds node sockets to the node address at a port from `--ports`. The kernel is the source of truth for
/// which ports are taken (a closed socket frees its port by itself), so no bookkeeping can go stale.
/// A server that closes its listener and binds the same port again (iperf3 after every test, a reloading
/// server) gets its previous node port back when it is free, so clients and proxies that point at the node
/// port keep working.
/// </summary>
internal sealed class PortAllocator(PortRanges ports, IPAddress nodeAddress)
{
    private const int MaxAttempts = 4096;
    private const int MaxRemembered = 16384;
    private int _cursor = Random.Shared.Next(ports.Count);
    private readonly ConcurrentDictionary<RebindKey, int> _previousPorts = new();

    /// <summary>What identifies "the same server binding again": the app, the socket type and the port it asked for.</summary>
    public readonly record struct RebindKey(string AppId, int SocketType, int RequestedPort);

    /// <summary>Binds fd; returns the node endpoint, or null with the errno (EADDRINUSE when the range is exhausted).</summary>
    public IPEndPoint? Bind(int fd, int family, RebindKey? key, out Errno errno)
    {
        if (key is { } k && _previousPorts.TryGetValue(k, out var previous)
            && !SocketCalls.Bind(fd, new IPEndPoint(nodeAddress, previous), family).IsError)
        {
            errno = Errno.None;
            return new IPEndPoint(nodeAddress, previous);
        }
        var bound = BindInRange(fd, family, out errno);
        if (bound is not null && key is { } remember)
        {
            if (_previousPorts.Count >= MaxRemembered) _previousPorts.Clear(); // bounded; losing stickiness is harmless
            _previousPorts[remember] = bound.Port;
        }
        return bound;
    }

    /// <summary>Forgets an exited app's ports: app ids are never reused, so its entries could only wait for the bound
    /// (the soak saw one per server started, kept until 16 384).</summary>
    public void Forget(string appId)
    {
        foreach (var key in _previousPorts.Keys)
            if (key.AppId == appId) _previousPorts.TryRemove(key, out _);
    }

    /// <summary>How many (app, type, port) entries are remembered.</summary>
    internal int Remembered => _previousPorts.Count;

    private IPEndPoint? BindInRange(int fd, int family, out Errno errno)
    {
        var attempts = Math.Min(ports.Count, MaxAttempts);
        errno = Errno.EADDRINUSE;
        for (var i = 0; i < attempts; i++)
        {
            var index = (int)((uint)Interlocked.Increment(ref _cursor) % (uint)ports.Count);
            var endPoint = new IPEndPoint(nodeAddress, ports.PortAt(index));
            var rc = SocketCalls.Bind(fd, endPoint, family);
            if (!rc.IsError) return endPoint;
            if (rc.Error is not (Errno.EADDRINUSE or Errno.EACCES)) { errno = rc.Error; return null; }
        }
        return null;
    }
}
