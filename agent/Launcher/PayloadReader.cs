using System.Buffers.Binary;
using System.Text;

namespace AppSwitch.Agent.Launcher;

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

    /// <summary>Bytes not read yet (optional trailing fields of older and newer launchers).</summary>
    public readonly int Remaining => _rest.Length;

    public readonly void End()
    {
        if (_rest.Length != 0) throw new LauncherProtocolException($"{_rest.Length} unexpected bytes at the end of the frame");
    }

    private readonly void Need(int n)
    {
        if (_rest.Length < n) throw new LauncherProtocolException("truncated frame payload");
    }
}
