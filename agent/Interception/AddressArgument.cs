using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>Reads a (sockaddr*, socklen_t) argument pair from the caller the way the kernel would check it.</summary>
internal static class AddressArgument
{
    /// <summary>Copies the address into <paramref name="buffer"/>: its length, or EINVAL, EFAULT.</summary>
    public static SysResult Read(SyscallContext call, int pointerArg, int lengthArg, Span<byte> buffer)
    {
        var length = (long)(int)call.Arg(lengthArg);
        if (length < 0 || length > SockAddr.MaxSize) return Errno.EINVAL;
        var pointer = call.Arg(pointerArg);
        if (length > 0 && pointer == 0) return Errno.EFAULT;
        var read = call.ReadMemory(pointer, buffer[..(int)length]);
        return read.IsError ? read : SysResult.Ok(length);
    }
}
