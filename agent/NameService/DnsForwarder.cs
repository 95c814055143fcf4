using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace AppSwitch.Agent.NameService;

/// <summary>
/// Sends questions the agent does not own to the upstream servers (`--dns-servers`, else the node's
/// resolv.conf), one after the other, from the agent's own network namespace. Null when none answered in time:
/// the caller answers SERVFAIL.
/// </summary>
public sealed class DnsForwarder(IReadOnlyList<IPEndPoint> upstreams, TimeSpan timeout)
{
    public IReadOnlyList<IPEndPoint> Upstreams => upstreams;

    /// <summary>The upstream's answer (its id is the query's), or null.</summary>
    public async Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, bool overTcp, CancellationToken cancel)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(query.Span);
        foreach (var upstream in upstreams)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timer.CancelAfter(timeout);
            try
            {
                var answer = overTcp ? await AskOverTcpAsync(upstream, query, timer.Token) : await AskOverUdpAsync(upstream, query, id, timer.Token);
                if (answer is not null) return answer;
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { } // this one timed out: next
            catch (SocketException) { } // refused or unreachable: next
        }
        return null;
    }

    private static async Task<byte[]?> AskOverUdpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, ushort id, CancellationToken cancel)
    {
        using var socket = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(upstream, cancel);
        await socket.SendAsync(query, SocketFlags.None, cancel);
        var buffer = new byte[65535];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel);
            // Anything but the answer to this id (a late answer, noise) is skipped.
            if (n >= DnsCodec.HeaderSize && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id) return buffer[..n];
        }
    }

    private static async Task<byte[]?> AskOverTcpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, CancellationToken cancel)
    {
        using var socket = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(upstream, cancel);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await DnsTcpFraming.WriteAsync(stream, query, cancel);
        return await DnsTcpFraming.ReadAsync(stream, cancel);
    }
}
