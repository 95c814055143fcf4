using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Label values of appswitch_trapped_calls_total, made once: the syscall's name, and the outcome (ok, continue,
/// pending, or the errno's name). Counting a call then allocates nothing.
/// </summary>
internal static class TrappedCallLabels
{
    public const string Ok = "ok";
    public const string Continued = "continue";
    /// <summary>Handed to the completion thread (a blocking connect): answered there later.</summary>
    public const string Pending = "pending";

    private static readonly string[] ErrnoNames = Enumerable.Range(0, 256)
        .Select(n => Enum.IsDefined((Errno)n) ? ((Errno)n).ToString() : $"errno{n}").ToArray();

    public static string Syscall(int nr) =>
        nr == SyscallNumbers.Connect ? "connect"
        : nr == SyscallNumbers.Bind ? "bind"
        : nr == SyscallNumbers.Listen ? "listen"
        : nr == SyscallNumbers.GetSockName ? "getsockname"
        : nr == SyscallNumbers.GetPeerName ? "getpeername"
        : nr == SyscallNumbers.SendTo ? "sendto"
        : nr == SyscallNumbers.SendMsg ? "sendmsg"
        : nr == SyscallNumbers.SendMmsg ? "sendmmsg"
        : "other";

    public static string Failure(Errno errno) => (int)errno is >= 0 and < 256 ? ErrnoNames[(int)errno] : "errno-other";
}
