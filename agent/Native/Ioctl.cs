namespace AppSwitch.Agent.Native;

/// <summary>
/// ioctl request numbers as the _IOR/_IOW/_IOWR macros of asm-generic/ioctl.h build them (x86-64 and arm64): the
/// size of the argument struct is part of the number, so it is taken from sizeof of the struct we pass.
/// </summary>
internal static class Ioctl
{
    private const int NrShift = 0, TypeShift = 8, SizeShift = 16, DirShift = 30;
    private const ulong Write = 1, Read = 2;
    private const int MaxSize = (1 << 14) - 1;

    /// <summary>_IOW(type, nr, T): the caller passes a T in.</summary>
    public static ulong In(char type, int nr, int size) => Encode(Write, type, nr, size);

    /// <summary>_IOWR(type, nr, T): the caller passes a T in and gets one back.</summary>
    public static ulong InOut(char type, int nr, int size) => Encode(Write | Read, type, nr, size);

    private static ulong Encode(ulong direction, char type, int nr, int size)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);
        return direction << DirShift | (ulong)size << SizeShift | (ulong)(byte)type << TypeShift | (ulong)(byte)nr << NrShift;
    }
}
