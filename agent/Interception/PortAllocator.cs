using System.Net;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Binds node sockets to the node address at a port from `--ports`. The kernel is the source of truth for
/// which ports are taken (a closed socket frees its port by itself), so no bookkeeping can go stale.
/// </summary>
internal sealed class PortAllocator(PortRanges ports, IPAddress nodeAddress)
{
    private const int MaxAttempts = 4096;
    private int _cursor = Random.Shared.Next(ports.Count);

    /// <summary>Binds fd; returns the node endpoint, or null with the errno (EADDRINUSE when the range is exhausted).</summary>
    public IPEndPoint? Bind(int fd, int family, out int errno)
    {
        var attempts = Math.Min(ports.Count, MaxAttempts);
        errno = Libc.EADDRINUSE;
        for (var i = 0; i < attempts; i++)
        {
            var index = (int)((uint)Interlocked.Increment(ref _cursor) % (uint)ports.Count);
            var endPoint = new IPEndPoint(nodeAddress, ports.PortAt(index));
            var rc = SocketCalls.Bind(fd, endPoint, family);
            if (rc == 0) return endPoint;
            if (rc != Libc.EADDRINUSE && rc != Libc.EACCES) { errno = rc; return null; }
        }
        return null;
    }
}
