using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// A fresh node socket a session makes after answering a connect, for the app's next connect of the same kind:
/// socket() then happens while the app runs rather than while it waits. Session thread only.
/// </summary>
internal sealed class SpareSocket : IDisposable
{
    private int _fd = -1;
    private SocketCalls.Kind _kind;

    /// <summary>The spare if it is of <paramref name="kind"/> (the caller owns it then), else -1.</summary>
    public int Take(SocketCalls.Kind kind)
    {
        if (_fd < 0 || _kind != kind) return -1;
        var fd = _fd;
        _fd = -1;
        return fd;
    }

    /// <summary>Makes sure a spare of <paramref name="kind"/> is ready (one of another kind is replaced).</summary>
    public void Refill(SocketCalls.Kind kind)
    {
        if (_fd >= 0 && _kind == kind) return;
        Dispose();
        var fd = SocketCalls.Create(kind);
        if (fd < 0) return;
        _fd = fd;
        _kind = kind;
    }

    public void Dispose()
    {
        if (_fd >= 0) Libc.Close(_fd);
        _fd = -1;
    }
}
