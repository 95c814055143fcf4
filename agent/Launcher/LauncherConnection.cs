using System.Buffers.Binary;
using System.Net.Sockets;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Launcher;

/// <summary>
/// Reads and writes launcher frames on a connected Unix socket, collecting passed fds. Each frame must arrive whole
/// within <paramref name="frameTimeout"/> (default 10 s) of the read starting: a launcher trickling a byte at a time
/// cannot hold the connection longer than that.
/// </summary>
internal sealed class LauncherConnection(Socket socket, TimeSpan? frameTimeout = null)
{
    public const int MaxFrame = 1 << 20;
    public const byte Version = 1;

    /// <summary>Frame bodies grow to their announced length only as bytes arrive: a claimed length costs nothing.</summary>
    internal const int InitialBodyBuffer = 64 * 1024;

    private readonly long _timeoutMs = (long)(frameTimeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;

    /// <summary>The fds that came with the frames read so far (the caller owns them).</summary>
    public List<int> ReceivedFds { get; } = [];

    public (FrameType Type, byte[] Payload) ReadFrame()
    {
        var deadline = Environment.TickCount64 + _timeoutMs;
        var header = new byte[4];
        ReadExactly(header, allowEof: true, deadline);
        var length = CheckedLength(header);
        var body = new byte[Math.Min(length, InitialBodyBuffer)];
        var done = 0;
        while (done < length)
        {
            if (done == body.Length) Array.Resize(ref body, (int)Math.Min(length, 2L * body.Length));
            done += ReadExactly(body.AsSpan(done), allowEof: false, deadline);
        }
        return ((FrameType)body[0], body[1..]);
    }

    /// <summary>The body length a frame header announces; a length outside 1..MaxFrame is refused.</summary>
    public static int CheckedLength(ReadOnlySpan<byte> header)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length is 0 or > MaxFrame) throw new LauncherProtocolException($"frame length {length} is outside 1..{MaxFrame}");
        return (int)length;
    }

    private int ReadExactly(Span<byte> buffer, bool allowEof, long deadline)
    {
        var fd = (int)socket.Handle;
        var done = 0;
        while (done < buffer.Length)
        {
            // Wait with poll, then read what is there: works on a socket .NET has made non-blocking too.
            var left = deadline - Environment.TickCount64;
            if (left <= 0 || !socket.Poll(TimeSpan.FromMilliseconds(left), SelectMode.SelectRead))
                throw new LauncherProtocolException("timed out waiting for the launcher");
            var n = FdPassing.Receive(fd, buffer[done..], ReceivedFds, maxFds: 4);
            if (n.Error == Errno.EAGAIN) continue;
            if (n.IsError) throw new LauncherProtocolException($"receive failed: {n.Error}");
            if (n.Value == 0)
                throw new LauncherProtocolException(done == 0 && allowEof ? "the launcher closed the connection" : "truncated frame");
            done += (int)n.Value;
        }
        return done;
    }

    public void WriteFrame(FrameType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(1 + payload.Length));
        frame[4] = (byte)type;
        payload.CopyTo(frame.AsSpan(5));
        socket.Send(frame);
    }

    public void WriteError(int exitCode, string message)
    {
        var writer = new PayloadWriter();
        writer.Int32(exitCode);
        writer.String(message);
        WriteFrame(FrameType.Error, writer.ToArray());
    }
}
