using System.Buffers.Binary;
using System.Text;

namespace AppSwitch.Agent.Launcher;

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
