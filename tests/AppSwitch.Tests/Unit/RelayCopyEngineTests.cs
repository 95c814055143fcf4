using System.Net;
using System.Net.Sockets;
using System.Text;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Relay;
using AppSwitch.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Tmds.Linux;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>
/// Both relay copy engines between real loopback sockets: a client → relay → backend connection with half-close,
/// large transfers both ways, and a backend's reset reaching the client.
/// </summary>
public sealed class RelayCopyEngineTests : IDisposable
{
    private const int Answer = 1_000_000;
    private readonly SpliceEngine _splice = new(NullLogger<SpliceEngine>.Instance);
    private readonly List<Socket> _sockets = [];

    public enum Engine { Splice, Buffers }

    private Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(listener);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        return listener;
    }

    /// <summary>Connects a client through a relay of <paramref name="engine"/> to <paramref name="backend"/>.</summary>
    private async Task<Socket> ConnectThroughRelayAsync(Engine engine, Socket backend, RelayCounters counters)
    {
        var front = Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(client);
        await client.ConnectAsync(front.LocalEndPoint!);
        var accepted = await front.AcceptAsync();
        counters.Accepted();
        var backendEndPoint = (IPEndPoint)backend.LocalEndPoint!;
        if (engine == Engine.Splice)
        {
            var fd = LibC.fcntl((int)accepted.Handle, F.DUPFD_CLOEXEC, 0);
            accepted.Dispose();
            _splice.Relay(fd, new ConnectTarget(backendEndPoint, null), counters, "test");
        }
        else
        {
            var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await target.ConnectAsync(backendEndPoint);
            _ = RelayConnection.RunAsync(accepted, target, counters).ContinueWith(_ => counters.Closed(), TaskScheduler.Default);
        }
        return client;
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    [Theory]
    [InlineData(Engine.Splice)]
    [InlineData(Engine.Buffers)]
    public async Task A_half_closed_client_still_receives_the_whole_answer(Engine engine)
    {
        var backend = Listen();
        var served = Task.Run(async () =>
        {
            using var peer = await backend.AcceptAsync();
            var request = await ReadToEndAsync(peer); // the answer comes only after the client's FIN
            await peer.SendAsync(Encoding.ASCII.GetBytes($"got {request.Length};").Concat(new byte[Answer]).ToArray());
        });
        var counters = new RelayCounters();
        var client = await ConnectThroughRelayAsync(engine, backend, counters);

        await client.SendAsync(new byte[300_000]);
        client.Shutdown(SocketShutdown.Send);
        var answer = await ReadToEndAsync(client).WaitAsync(TimeSpan.FromSeconds(20));
        await served;

        Assert.Equal("got 300000;", Encoding.ASCII.GetString(answer, 0, 11));
        Assert.Equal(11 + Answer, answer.Length);
        await Eventually.UntilAsync(() => counters.Active == 0, TimeSpan.FromSeconds(10), "the relay to close the connection");
        Assert.Equal((300_000L, 11L + Answer, 1L), (counters.BytesIn, counters.BytesOut, counters.Connections));
    }

    [Theory]
    [InlineData(Engine.Splice)]
    [InlineData(Engine.Buffers)]
    public async Task A_backend_reset_resets_the_client(Engine engine)
    {
        var backend = Listen();
        var served = Task.Run(async () =>
        {
            var peer = await backend.AcceptAsync();
            await peer.ReceiveAsync(new byte[16]);
            peer.LingerState = new LingerOption(true, 0);
            peer.Dispose(); // RST
        });
        var counters = new RelayCounters();
        var client = await ConnectThroughRelayAsync(engine, backend, counters);

        await client.SendAsync("hello"u8.ToArray());
        await served;
        var error = await Assert.ThrowsAsync<SocketException>(async () => await ReadToEndAsync(client).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_refused_dial_resets_the_client_and_counts_it()
    {
        var closed = Listen();
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        closed.Dispose(); // nobody listens there now
        var counters = new RelayCounters();
        var front = Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(front.LocalEndPoint!);
        var accepted = await front.AcceptAsync();
        counters.Accepted();
        var fd = LibC.fcntl((int)accepted.Handle, F.DUPFD_CLOEXEC, 0);
        accepted.Dispose();
        _splice.Relay(fd, new ConnectTarget(new IPEndPoint(IPAddress.Loopback, port), null), counters, "test");

        var error = await Assert.ThrowsAsync<SocketException>(async () => await ReadToEndAsync(client).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Equal((1L, 0L), (counters.Refused, counters.Active));
    }

    public void Dispose()
    {
        foreach (var socket in _sockets) socket.Dispose();
        _splice.Dispose();
    }
}
