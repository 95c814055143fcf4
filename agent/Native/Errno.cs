namespace AppSwitch.Agent.Native;

/// <summary>
/// The errno values the agent reads or answers with, numbered as in asm-generic/errno-base.h and errno.h (the same
/// on x86-64 and arm64). An enum and not an int so that a negated or mixed-up number does not compile: C# has no
/// unary minus on enums, and an int needs an explicit cast to become one.
/// </summary>
internal enum Errno
{
    /// <summary>No error: the call succeeded.</summary>
    None = 0,
    EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14,
    EINVAL = 22, EPIPE = 32, ENOSYS = 38, ENOTSOCK = 88, EMSGSIZE = 90, ENOPROTOOPT = 92, EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETUNREACH = 101, ECONNRESET = 104, EISCONN = 106,
    ETIMEDOUT = 110, ECONNREFUSED = 111, EALREADY = 114, EINPROGRESS = 115,
}
