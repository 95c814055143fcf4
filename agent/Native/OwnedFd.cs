namespace AppSwitch.Agent.Native;

/// <summary>
/// An fd the agent owns: closed exactly once when disposed, unless <see cref="Release"/> handed it on first (to a
/// pending operation, a SafeHandle, a table). Holding it in a <c>using</c> makes every early return close it.
/// A class, not a struct: a copy of a struct would close the fd a second time.
/// </summary>
internal sealed class OwnedFd : IDisposable
{
    private int _fd;

    public OwnedFd(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        _fd = fd;
    }

    /// <summary>The fd of a successful call, owned; null (with the errno) when the call failed.</summary>
    public static OwnedFd? From(SysResult result, out Errno error)
    {
        error = result.Error;
        return result.IsError ? null : new OwnedFd(result.Fd);
    }

    /// <summary>The fd number, while this object still owns it.</summary>
    public int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(OwnedFd), "the fd was closed or handed on");

    /// <summary>Hands the fd on: the caller closes it from now on, and disposing this does nothing.</summary>
    public int Release()
    {
        var fd = Fd;
        _fd = -1;
        return fd;
    }

    public void Dispose()
    {
        if (_fd >= 0) Libc.Close(_fd);
        _fd = -1;
    }
}
