using System.Buffers;
using System.Net.Sockets;

namespace AppSwitch.Agent.Relay;

/// <summary>
/// Copies one relayed connection both ways with pooled buffers on async sockets (no thread per connection; the
/// runtime's epoll threads drive it). Half-close: a FIN from one side becomes shutdown(SHUT_WR) towards the other
/// while the other direction keeps flowing. An error on either side (RST, timeout) resets both. Backpressure: a
/// direction reads again only after its last chunk was sent.
/// </summary>
internal static class RelayConnection
{
    /// <summary>Large enough for bulk transfers to move in few syscalls; rented only for the connection's life.</summary>
    public const int BufferSize = 64 * 1024;

    public static async Task RunAsync(Socket client, Socket target, RelayCounters counters)
    {
        try
        {
            var up = PumpAsync(client, target, counters, toTarget: true);
            var down = PumpAsync(target, client, counters, toTarget: false);
            if (!await await Task.WhenAny(up, down)) Reset(client, target); // one side failed: the other learns by RST
            else if (!await (up.IsCompleted ? down : up)) Reset(client, target);
        }
        finally
        {
            client.Dispose();
            target.Dispose();
        }
    }

    /// <summary>Copies until end of stream (true, the FIN passed on) or an error (false).</summary>
    private static async Task<bool> PumpAsync(Socket from, Socket to, RelayCounters counters, bool toTarget)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return true;
                }
                for (var sent = 0; sent < n;)
                    sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None).ConfigureAwait(false);
                counters.Copied(toTarget, n);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Reset(Socket a, Socket b)
    {
        foreach (var socket in new[] { a, b })
        {
            try { socket.LingerState = new LingerOption(true, 0); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            socket.Dispose(); // linger 0: close sends RST; also ends the other pump's pending receive
        }
    }
}
