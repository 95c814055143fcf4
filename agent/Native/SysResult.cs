namespace AppSwitch.Agent.Native;

/// <summary>
/// What a system call gave back: a non-negative value (an fd, a byte count, 0) or an <see cref="Errno"/>, never a
/// number whose sign says which. Made only from a libc return right after the call (<see cref="FromReturn"/>), from
/// <see cref="Ok"/> or from an Errno, so no call site negates an errno by hand.
/// </summary>
internal readonly struct SysResult
{
    private readonly long _value;

    private SysResult(long value, Errno error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>Success with no value (the "0" of calls that return 0 or -1).</summary>
    public static SysResult Success => default;

    public static SysResult Ok(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return new SysResult(value, Errno.None);
    }

    /// <summary>An errno as a failed result; <see cref="Errno.None"/> is success (the "0 or errno" of older code).</summary>
    public static implicit operator SysResult(Errno error) => new(0, error);

    /// <summary>A libc or syscall return: negative means failed with the thread's errno, read here and nowhere else.</summary>
    internal static SysResult FromReturn(long rc) => rc >= 0 ? new SysResult(rc, Errno.None) : new SysResult(0, Libc.LastError);

    public bool IsError => Error != Errno.None;

    /// <summary>Why the call failed; <see cref="Errno.None"/> when it did not.</summary>
    public Errno Error { get; }

    /// <summary>The value of a successful call; reading it from a failed one is a bug in the caller.</summary>
    public long Value => IsError ? throw new InvalidOperationException($"the call failed ({Error}): it has no value") : _value;

    /// <summary>The fd a successful call returned.</summary>
    public int Fd => checked((int)Value);

    public override string ToString() => IsError ? Error.ToString() : _value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
