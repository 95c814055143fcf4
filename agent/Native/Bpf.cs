using System.Runtime.InteropServices;
using System.Text;

namespace AppSwitch.Agent.Native;

/// <summary>
/// The bpf(2) commands the socket lock needs: create, find again (by id), describe and update a map, load a program
/// (with the verifier's log on failure) and attach it to a cgroup. Layouts of union bpf_attr as in linux/bpf.h; the attr is zero-filled.
/// </summary>
internal static unsafe class Bpf
{
    private static readonly long SysBpf = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 280 : 321;
    private const int AttrSize = 144;
    private const int CmdMapCreate = 0, CmdMapUpdateElem = 2, CmdProgLoad = 5, CmdProgAttach = 8, CmdMapGetFdById = 14,
        CmdObjGetInfoByFd = 15;

    public const int MapTypeHash = 1, MapTypeLruHash = 9;
    public const int ProgTypeCgroupSockAddr = 18;
    public const int AttachInet4Bind = 8, AttachInet6Bind = 9, AttachInet4Connect = 10, AttachInet6Connect = 11,
        AttachUdp4Sendmsg = 14, AttachUdp6Sendmsg = 15, AttachUdp4Recvmsg = 19, AttachUdp6Recvmsg = 20;
    /// <summary>Helper function ids (enum bpf_func_id).</summary>
    public const int HelperMapLookup = 1, HelperMapUpdate = 2, HelperSocketCookie = 46, HelperCurrentCgroupId = 80;

    /// <summary>Creates a map; returns its fd or -errno.</summary>
    public static int CreateMap(int type, int keySize, int valueSize, int maxEntries, string name)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)type;
        *(uint*)(attr + 4) = (uint)keySize;
        *(uint*)(attr + 8) = (uint)valueSize;
        *(uint*)(attr + 12) = (uint)maxEntries;
        WriteName(attr + 28, name);
        return Call(CmdMapCreate, attr);
    }

    /// <summary>Sets key → value (BPF_ANY); returns 0 or -errno.</summary>
    public static int UpdateElement(int mapFd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            *(uint*)(attr + 0) = (uint)mapFd;
            *(ulong*)(attr + 8) = (ulong)k;
            *(ulong*)(attr + 16) = (ulong)v;
            var r = Call(CmdMapUpdateElem, attr);
            return r < 0 ? r : 0;
        }
    }

    /// <summary>An fd of the live map with this id (needs CAP_SYS_ADMIN), or -errno (ENOENT: gone).</summary>
    public static int MapFdById(uint id)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = id;
        return Call(CmdMapGetFdById, attr);
    }

    /// <summary>What struct bpf_map_info says of a map: its type, id, key and value sizes and name.</summary>
    public readonly record struct MapInfo(int Type, uint Id, int KeySize, int ValueSize, string Name);

    /// <summary>The map's info, or null when the kernel does not give it.</summary>
    public static MapInfo? InfoOfMap(int mapFd)
    {
        const int infoSize = 40; // type, id, key_size, value_size, max_entries, map_flags, name[16]
        var info = stackalloc byte[infoSize];
        new Span<byte>(info, infoSize).Clear();
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)mapFd;
        *(uint*)(attr + 4) = infoSize;
        *(ulong*)(attr + 8) = (ulong)info;
        if (Call(CmdObjGetInfoByFd, attr) < 0) return null;
        var name = new ReadOnlySpan<byte>(info + 24, 16);
        var end = name.IndexOf((byte)0);
        return new MapInfo(*(int*)info, *(uint*)(info + 4), *(int*)(info + 8), *(int*)(info + 12),
            Encoding.ASCII.GetString(end < 0 ? name : name[..end]));
    }

    /// <summary>
    /// Loads a program; returns its fd, or -errno with the verifier's log in <paramref name="verifierLog"/>
    /// (the load is retried with logging on, so a successful load costs no log).
    /// </summary>
    public static int LoadProgram(int progType, int expectedAttachType, ReadOnlySpan<byte> instructions, string name,
        out string verifierLog)
    {
        verifierLog = "";
        var fd = Load(progType, expectedAttachType, instructions, name, null, 0);
        if (fd >= 0) return fd;
        const int logSize = 64 * 1024;
        var log = new byte[logSize];
        fixed (byte* logBuf = log)
            fd = Load(progType, expectedAttachType, instructions, name, logBuf, logSize);
        verifierLog = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
        return fd;
    }

    /// <summary>
    /// Attaches a program to the cgroup open at <paramref name="cgroupFd"/> with flags 0 (the legacy, non-link
    /// attach): it stays attached after we exit, and a later attach of the same type replaces it.
    /// Returns 0 or -errno.
    /// </summary>
    public static int AttachToCgroup(int cgroupFd, int programFd, int attachType)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)cgroupFd;
        *(uint*)(attr + 4) = (uint)programFd;
        *(uint*)(attr + 8) = (uint)attachType;
        var r = Call(CmdProgAttach, attr);
        return r < 0 ? r : 0;
    }

    private static int Load(int progType, int expectedAttachType, ReadOnlySpan<byte> instructions, string name,
        byte* logBuf, int logSize)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        var license = "GPL\0"u8;
        fixed (byte* insns = instructions)
        fixed (byte* lic = license)
        {
            *(uint*)(attr + 0) = (uint)progType;
            *(uint*)(attr + 4) = (uint)(instructions.Length / 8);
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            *(uint*)(attr + 24) = logBuf == null ? 0u : 1u;
            *(uint*)(attr + 28) = (uint)logSize;
            *(ulong*)(attr + 32) = (ulong)logBuf;
            WriteName(attr + 48, name);
            *(uint*)(attr + 68) = (uint)expectedAttachType;
            return Call(CmdProgLoad, attr);
        }
    }

    /// <summary>Object names: up to 15 characters of [A-Za-z0-9_.], NUL-terminated.</summary>
    private static void WriteName(byte* at, string name)
    {
        for (var i = 0; i < name.Length && i < 15; i++) at[i] = (byte)name[i];
    }

    private static int Call(int cmd, byte* attr)
    {
        var r = Libc.Syscall(SysBpf, cmd, (long)attr, AttrSize);
        return r < 0 ? -Libc.Errno : (int)r;
    }
}
