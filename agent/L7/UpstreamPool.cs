using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AppSwitch.Agent.L7;

/// <summary>Idle upstream connections per backend, reused across the relay's client connections.</summary>
internal sealed class UpstreamPool : IAsyncDisposable
{
    private const int MaxIdlePerBackend = 64;
    private readonly ConcurrentDictionary<IPEndPoint, ConcurrentBag<UpstreamConnection>> _idle = new();

    /// <summary>An idle connection to the backend, else a new one (always new with <paramref name="fresh"/>).</summary>
    public async Task<UpstreamConnection> GetAsync(IPEndPoint backend, bool fresh, CancellationToken cancel)
    {
        if (!fresh && _idle.TryGetValue(backend, out var bag))
            while (bag.TryTake(out var idle))
            {
                if (idle.IsReusable())
                {
                    idle.Reused = true;
                    return idle;
                }
                await idle.DisposeAsync();
            }
        var socket = new Socket(backend.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(backend, cancel);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UpstreamConnection(backend, socket).Start();
    }

    public async ValueTask ReturnAsync(UpstreamConnection connection)
    {
        var bag = _idle.GetOrAdd(connection.Backend, _ => []);
        if (bag.Count < MaxIdlePerBackend) bag.Add(connection);
        else await connection.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bag in _idle.Values)
            while (bag.TryTake(out var connection)) await connection.DisposeAsync();
    }
}
