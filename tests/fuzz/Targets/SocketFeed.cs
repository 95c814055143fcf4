using System.Net.Sockets;
using Tmds.Linux;

namespace AppSwitch.Fuzz.Targets;

/// <summary>
/// A connected pair of Unix stream sockets whose reading end holds the input and then end-of-stream: the
/// launcher and gossip stream readers take a real socket, not a Stream. Made with socketpair(2): one call per
/// input instead of a listener's connect and accept (the socket targets ran at ~800 inputs/s that way).
/// </summary>
internal sealed unsafe class SocketFeed : IDisposable
{
    /// <summary>Inputs are cut here so that one send fits the socket buffer (the default, ~200 KiB) and never blocks.</summary>
    public const int MaxInput = 64 * 1024;

    public Socket Reader { get; }
    private readonly Socket _writer;

    public SocketFeed(ReadOnlySpan<byte> input)
    {
        var fds = stackalloc int[2];
        if (LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, fds) != 0)
            throw new IOException($"socketpair failed: errno {Tmds.Linux.LibC.errno}");
        Reader = new Socket(new SafeSocketHandle(fds[0], ownsHandle: true));
        _writer = new Socket(new SafeSocketHandle(fds[1], ownsHandle: true));
        // A reader that waited past the end of the stream would be a hang: libFuzzer's -timeout saves it.
        _writer.Send(input.Length > MaxInput ? input[..MaxInput] : input);
        _writer.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        Reader.Dispose();
        _writer.Dispose();
    }
}
