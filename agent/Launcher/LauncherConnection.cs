using System.Buffers.Binary;
using System.Net.Sockets;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Launcher;

/// <summary>Reads and writes launcher frames on a blocking connected Unix socket, collecting passed fds.</summary>
internal sealed class LauncherConnection(Socket socket)
{
    public const int MaxFrame = 1 << 20;
    public const byte Version = 1;

    /// <summary>The fds that came with the frames read so far (the caller owns them).</summary>
    public List<int> ReceivedFds { get; } = [];

    public (FrameType Type, byte[] Payload) ReadFrame()
    {
        var header = new byte[4];
        ReadExactly(header, allowEof: true);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length is 0 or > MaxFrame) throw new LauncherProtocolException($"frame length {length} is outside 1..{MaxFrame}");
        var body = new byte[length];
        ReadExactly(body, allowEof: false);
        return ((FrameType)body[0], body[1..]);
    }

    private void ReadExactly(Span<byte> buffer, bool allowEof)
    {
        var fd = (int)socket.Handle;
        var done = 0;
        while (done < buffer.Length)
        {
            var n = FdPassing.Receive(fd, buffer[done..], ReceivedFds, maxFds: 4);
            if (n.Error == Errno.EAGAIN) throw new LauncherProtocolException("timed out waiting for the launcher");
            if (n.IsError) throw new LauncherProtocolException($"receive failed: {n.Error}");
            if (n.Value == 0)
                throw new LauncherProtocolException(done == 0 && allowEof ? "the launcher closed the connection" : "truncated frame");
            done += (int)n.Value;
        }
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
