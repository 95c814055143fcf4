namespace AppSwitch.Agent.Native;

/// <summary>BPF_MAP_GET_NEXT_KEY: walking a map's keys (what is left in the client-address maps).</summary>
internal static unsafe partial class Bpf
{
    private const int CmdMapGetNextKey = 4;

    /// <summary>
    /// The key after <paramref name="key"/> into <paramref name="next"/> (sizes as the map's); an empty
    /// <paramref name="key"/> asks for the first. ENOENT: no more keys.
    /// </summary>
    public static SysResult NextKey(int mapFd, ReadOnlySpan<byte> key, Span<byte> next)
    {
        fixed (byte* k = key)
        fixed (byte* n = next)
        {
            var attr = new MapElemAttr { MapFd = (uint)mapFd, Key = key.IsEmpty ? 0 : (ulong)k, Value = (ulong)n };
            return Call(CmdMapGetNextKey, &attr);
        }
    }
}
