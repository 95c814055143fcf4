using System.Runtime.InteropServices;
using System.Text;

namespace AppSwitch.Agent.Native;

/// <summary>
/// The bpf(2) commands the socket lock needs: create, find again (by id), describe and update a map, load a program
/// (with the verifier's log on failure) and attach it to a cgroup. Each command's part of union bpf_attr is a struct
/// below (layouts as in linux/bpf.h), copied into a zero-filled attr of the size we tell the kernel.
/// </summary>
internal static unsafe partial class Bpf
{
    private const int AttrSize = 144;
    private const int CmdMapCreate = 0, CmdMapUpdateElem = 2, CmdProgLoad = 5, CmdProgAttach = 8, CmdMapGetFdById = 14,
        CmdObjGetInfoByFd = 15;
    private const int ObjectNameSize = 16; // BPF_OBJ_NAME_LEN

    public const int MapTypeHash = 1, MapTypeLruHash = 9;
    public const int ProgTypeCgroupSockAddr = 18;
    public const int AttachInet4Bind = 8, AttachInet6Bind = 9, AttachInet4Connect = 10, AttachInet6Connect = 11,
        AttachUdp4Sendmsg = 14, AttachUdp6Sendmsg = 15, AttachUdp4Recvmsg = 19, AttachUdp6Recvmsg = 20;
    /// <summary>Helper function ids (enum bpf_func_id).</summary>
    public const int HelperMapLookup = 1, HelperMapUpdate = 2, HelperMapDelete = 3, HelperSocketCookie = 46, HelperCurrentCgroupId = 80;

    /// <summary>Creates a map: its fd.</summary>
    public static SysResult CreateMap(int type, int keySize, int valueSize, int maxEntries, string name)
    {
        var attr = new MapCreateAttr { MapType = (uint)type, KeySize = (uint)keySize, ValueSize = (uint)valueSize, MaxEntries = (uint)maxEntries };
        WriteName(attr.MapName, name);
        return Call(CmdMapCreate, &attr);
    }

    /// <summary>Sets key → value (BPF_ANY).</summary>
    public static SysResult UpdateElement(int mapFd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var attr = new MapElemAttr { MapFd = (uint)mapFd, Key = (ulong)k, Value = (ulong)v };
            return Call(CmdMapUpdateElem, &attr);
        }
    }

    /// <summary>An fd of the live map with this id (needs CAP_SYS_ADMIN; ENOENT: gone).</summary>
    public static SysResult MapFdById(uint id)
    {
        var attr = new GetIdAttr { Id = id };
        return Call(CmdMapGetFdById, &attr);
    }

    /// <summary>What struct bpf_map_info says of a map: its type, id, key and value sizes and name.</summary>
    public readonly record struct MapInfo(int Type, uint Id, int KeySize, int ValueSize, string Name);

    /// <summary>The map's info, or null when the kernel does not give it.</summary>
    public static MapInfo? InfoOfMap(int mapFd)
    {
        var info = new MapInfoStruct();
        var attr = new InfoByFdAttr { BpfFd = (uint)mapFd, InfoLength = (uint)sizeof(MapInfoStruct), Info = (ulong)&info };
        if (Call(CmdObjGetInfoByFd, &attr).IsError) return null;
        var name = new ReadOnlySpan<byte>(info.Name, ObjectNameSize);
        var end = name.IndexOf((byte)0);
        return new MapInfo((int)info.Type, info.Id, (int)info.KeySize, (int)info.ValueSize,
            Encoding.ASCII.GetString(end < 0 ? name : name[..end]));
    }

    /// <summary>
    /// Loads a program: its fd, or the error with the verifier's log in <paramref name="verifierLog"/>
    /// (the load is retried with logging on, so a successful load costs no log).
    /// </summary>
    public static SysResult LoadProgram(int progType, int expectedAttachType, ReadOnlySpan<byte> instructions, string name,
        out string verifierLog)
    {
        verifierLog = "";
        var loaded = Load(progType, expectedAttachType, instructions, name, null, 0);
        if (!loaded.IsError) return loaded;
        const int logSize = 64 * 1024;
        var log = new byte[logSize];
        fixed (byte* logBuf = log)
            loaded = Load(progType, expectedAttachType, instructions, name, logBuf, logSize);
        verifierLog = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
        return loaded;
    }

    /// <summary>
    /// Attaches a program to the cgroup open at <paramref name="cgroupFd"/> with flags 0 (the legacy, non-link
    /// attach): it stays attached after we exit, and a later attach of the same type replaces it.
    /// </summary>
    public static SysResult AttachToCgroup(int cgroupFd, int programFd, int attachType)
    {
        var attr = new ProgAttachAttr { TargetFd = (uint)cgroupFd, AttachBpfFd = (uint)programFd, AttachType = (uint)attachType };
        return Call(CmdProgAttach, &attr);
    }

    private static SysResult Load(int progType, int expectedAttachType, ReadOnlySpan<byte> instructions, string name,
        byte* logBuf, int logSize)
    {
        var license = "GPL\0"u8;
        fixed (byte* insns = instructions)
        fixed (byte* lic = license)
        {
            var attr = new ProgLoadAttr
            {
                ProgType = (uint)progType, InstructionCount = (uint)(instructions.Length / 8), Instructions = (ulong)insns,
                License = (ulong)lic, LogLevel = logBuf == null ? 0u : 1u, LogSize = (uint)logSize, LogBuffer = (ulong)logBuf,
                ExpectedAttachType = (uint)expectedAttachType,
            };
            WriteName(attr.ProgName, name);
            return Call(CmdProgLoad, &attr);
        }
    }

    /// <summary>Object names: up to 15 characters of [A-Za-z0-9_.], NUL-terminated.</summary>
    private static void WriteName(byte* at, string name)
    {
        for (var i = 0; i < name.Length && i < ObjectNameSize - 1; i++) at[i] = (byte)name[i];
    }

    /// <summary>Runs a command with <paramref name="command"/>'s struct at the start of a zero-filled bpf_attr.</summary>
    private static SysResult Call<T>(int cmd, T* command) where T : unmanaged
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        new ReadOnlySpan<byte>(command, sizeof(T)).CopyTo(new Span<byte>(attr, AttrSize));
        return SysResult.FromReturn(Libc.Syscall(SyscallNumbers.Bpf, cmd, (long)attr, AttrSize));
    }

    /// <summary>bpf_attr for BPF_MAP_CREATE (the fields up to map_name).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MapCreateAttr
    {
        public uint MapType, KeySize, ValueSize, MaxEntries, MapFlags, InnerMapFd, NumaNode;
        public fixed byte MapName[ObjectNameSize];
    }

    /// <summary>bpf_attr for BPF_MAP_*_ELEM.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MapElemAttr
    {
        public uint MapFd;
        private uint _padding;
        public ulong Key, Value, Flags;
    }

    /// <summary>bpf_attr for BPF_PROG_LOAD (the fields up to expected_attach_type).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ProgLoadAttr
    {
        public uint ProgType, InstructionCount;
        public ulong Instructions, License;
        public uint LogLevel, LogSize;
        public ulong LogBuffer;
        public uint KernelVersion, ProgFlags;
        public fixed byte ProgName[ObjectNameSize];
        public uint ProgIfIndex, ExpectedAttachType;
    }

    /// <summary>bpf_attr for BPF_PROG_ATTACH.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ProgAttachAttr
    {
        public uint TargetFd, AttachBpfFd, AttachType, AttachFlags;
    }

    /// <summary>bpf_attr for BPF_*_GET_FD_BY_ID.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct GetIdAttr
    {
        public uint Id, NextId, OpenFlags;
    }

    /// <summary>bpf_attr for BPF_OBJ_GET_INFO_BY_FD.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct InfoByFdAttr
    {
        public uint BpfFd, InfoLength;
        public ulong Info;
    }

    /// <summary>struct bpf_map_info up to its name (the kernel fills as much as we ask for).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MapInfoStruct
    {
        public uint Type, Id, KeySize, ValueSize, MaxEntries, MapFlags;
        public fixed byte Name[ObjectNameSize];
    }
}
