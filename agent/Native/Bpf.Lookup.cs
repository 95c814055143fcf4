namespace AppSwitch.Agent.Native;

/// <summary>BPF_MAP_LOOKUP_ELEM: reading one entry back (the UDP translations' "already decided" check).</summary>
internal static unsafe partial class Bpf
{
    private const int CmdMapLookupElem = 1;

    /// <summary>Copies key's value into <paramref name="value"/> (its size must be the map's); ENOENT: no such key.</summary>
    public static SysResult LookupElement(int mapFd, ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var attr = new MapElemAttr { MapFd = (uint)mapFd, Key = (ulong)k, Value = (ulong)v };
            return Call(CmdMapLookupElem, &attr);
        }
    }
}
