using System.Net.Sockets;

namespace AppSwitch.Fuzz.Targets;

/// <summary>
/// A connected pair of Unix stream sockets whose reading end holds the input and then end-of-stream: the
/// launcher and gossip stream readers take a real socket, not a Stream.
/// </summary>
internal sealed class SocketFeed : IDisposable
{
    /// <summary>Inputs are cut here so that one send fits the socket buffer and never blocks.</summary>
    public const int MaxInput = 64 * 1024;

    private static readonly string ListenPath = Path.Combine(Path.GetTempPath(), $"ax-fuzz-{Environment.ProcessId}.sock");
    private static readonly Lazy<Socket> Listener = new(() =>
    {
        File.Delete(ListenPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(ListenPath));
        listener.Listen(4);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(ListenPath);
        return listener;
    });

    public Socket Reader { get; }
    private readonly Socket _writer;

    public SocketFeed(ReadOnlySpan<byte> input)
    {
        _writer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { SendBufferSize = 2 * MaxInput };
        var listener = Listener.Value;
        _writer.Connect(new UnixDomainSocketEndPoint(ListenPath));
        Reader = listener.Accept();
        Reader.ReceiveBufferSize = 2 * MaxInput;
        Reader.ReceiveTimeout = 2000; // a reader that waits past the end of the stream is a hang, reported as such
        _writer.Send(input.Length > MaxInput ? input[..MaxInput] : input);
        _writer.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        Reader.Dispose();
        _writer.Dispose();
    }
}
