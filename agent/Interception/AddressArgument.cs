using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>Reads a (sockaddr*, socklen_t) argument pair from the caller the way the kernel would check it.</summary>
internal static class AddressArgument
{
    /// <summary>Copies the address into <paramref name="buffer"/>; returns its length, or -errno (EINVAL, EFAULT).</summary>
    public static int Read(SyscallContext call, int pointerArg, int lengthArg, Span<byte> buffer)
    {
        var length = (long)(int)call.Arg(lengthArg);
        if (length < 0 || length > SockAddr.MaxSize) return -Libc.EINVAL;
        var pointer = call.Arg(pointerArg);
        if (length > 0 && pointer == 0) return -Libc.EFAULT;
        var rc = call.ReadMemory(pointer, buffer[..(int)length]);
        return rc == 0 ? (int)length : -rc;
    }
}
