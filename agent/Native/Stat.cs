using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>
/// struct stat as fstat(2) fills it, with only the fields the agent reads. st_dev and st_ino come first on x86-64
/// and on arm64 (asm-generic/stat.h); the size is x86-64's 144, the larger of the two (arm64's is 128).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct Stat
{
    [FieldOffset(0)] public ulong Device;
    [FieldOffset(8)] public ulong Inode;
}
