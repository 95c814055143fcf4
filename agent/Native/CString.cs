using System.Text;

namespace AppSwitch.Agent.Native;

/// <summary>A string as the NUL-terminated UTF-8 bytes libc takes (Tmds.LibC's bindings take <c>byte*</c>, not strings).</summary>
internal static class CString
{
    public static byte[] Of(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }
}
