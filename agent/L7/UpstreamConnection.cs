using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace AppSwitch.Agent.L7;

/// <summary>An open keep-alive connection from the relay to one backend instance's node address.</summary>
internal sealed class UpstreamConnection(IPEndPoint backend, Socket socket) : IAsyncDisposable
{
    public IPEndPoint Backend => backend;

    /// <summary>Taken from the pool (it may have been closed by the instance while idle).</summary>
    public bool Reused { get; set; }
    public NetworkStream Stream { get; } = new(socket, ownsSocket: true);
    public PipeReader Reader { get; private set; } = null!;

    public UpstreamConnection Start()
    {
        Reader = PipeReader.Create(Stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        return this;
    }

    /// <summary>Idle and still open: nothing to read (a closed or chatty peer makes the socket readable).</summary>
    public bool IsReusable() => !socket.Poll(0, SelectMode.SelectRead) && !(Reader.TryRead(out var read) && Consumed(read));

    private bool Consumed(ReadResult read)
    {
        Reader.AdvanceTo(read.Buffer.Start);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Reader.CompleteAsync();
        await Stream.DisposeAsync();
    }
}
