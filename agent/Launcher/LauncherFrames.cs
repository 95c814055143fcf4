using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Launcher;

/// <summary>Frame types of docs/launcher-protocol.md.</summary>
internal enum FrameType : byte { Run = 1, Plan = 2, Listener = 3, Ready = 4, Error = 255 }

/// <summary>A protocol violation by the peer; its message is sent back in an ERROR frame.</summary>
internal sealed class LauncherProtocolException(string message) : Exception(message);

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

/// <summary>Bounds-checked decoding of a frame payload.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private ReadOnlySpan<byte> _rest = payload;

    public byte Byte()
    {
        Need(1);
        var b = _rest[0];
        _rest = _rest[1..];
        return b;
    }

    public uint UInt32()
    {
        Need(4);
        var v = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
        _rest = _rest[4..];
        return v;
    }

    public string String()
    {
        var length = UInt32();
        if (length > (uint)_rest.Length) throw new LauncherProtocolException("string runs past the end of the frame");
        var s = Encoding.UTF8.GetString(_rest[..(int)length]);
        _rest = _rest[(int)length..];
        return s;
    }

    /// <summary>A count of following strings, checked against what the frame can hold (4 bytes each at least).</summary>
    public int Count()
    {
        var count = UInt32();
        if (count > (uint)_rest.Length / 4) throw new LauncherProtocolException($"count {count} exceeds the frame");
        return (int)count;
    }

    public readonly void End()
    {
        if (_rest.Length != 0) throw new LauncherProtocolException($"{_rest.Length} unexpected bytes at the end of the frame");
    }

    private readonly void Need(int n)
    {
        if (_rest.Length < n) throw new LauncherProtocolException("truncated frame payload");
    }
}

/// <summary>Encoding of a frame payload.</summary>
internal sealed class PayloadWriter
{
    private readonly MemoryStream _stream = new();

    public void Byte(byte b) => _stream.WriteByte(b);
    public void Bool(bool b) => _stream.WriteByte(b ? (byte)1 : (byte)0);

    public void UInt32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _stream.Write(b);
    }

    public void Int32(int v) => UInt32((uint)v);

    public void String(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        UInt32((uint)bytes.Length);
        _stream.Write(bytes);
    }

    public byte[] ToArray() => _stream.ToArray();
}
