using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// A node socket a session makes after answering a connect, for the app's next connect of the same kind: socket()
/// and the options the app's last socket had (an app's sockets tend to be set up alike) then cost nothing while
/// the app waits. <see cref="NodeSocketFactory"/> makes and uses it. Session thread only.
/// </summary>
internal sealed class SpareSocket : IDisposable
{
    private int _fd = -1;
    private SocketCalls.Kind _kind;

    /// <summary>
    /// The option values (by the factory's option index; null = a fresh socket's default) the app's last node socket
    /// was given, and with them the values the spare now has.
    /// </summary>
    public byte[]?[]? Profile { get; set; }
    private byte[]?[]? _preset;

    public bool Holds(SocketCalls.Kind kind) => _fd >= 0 && _kind == kind;

    /// <summary>The spare if it is of <paramref name="kind"/> (the caller owns it then) and the values it was given, else -1.</summary>
    public int Take(SocketCalls.Kind kind, out byte[]?[]? preset)
    {
        preset = null;
        if (!Holds(kind)) return -1;
        (var fd, preset) = (_fd, _preset);
        _fd = -1;
        return fd;
    }

    /// <summary>Keeps <paramref name="fd"/> as the spare, given <paramref name="preset"/> (the previous spare is closed).</summary>
    public void Put(int fd, SocketCalls.Kind kind, byte[]?[]? preset)
    {
        Dispose();
        (_fd, _kind, _preset) = (fd, kind, preset);
    }

    public void Dispose()
    {
        if (_fd >= 0) Libc.Close(_fd);
        _fd = -1;
    }
}
