using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Hosting;

/// <summary>
/// Who may use the agent's Unix sockets: the socket directory is mode 0750 and the sockets (ax.sock, api.sock)
/// 0660, all owned by the agent's user (root) and by the `--socket-group` group, or the agent's own group when
/// none is given. So by default only root may run `ax run` or `ax get`; members of the socket group may too.
/// The directory is what really guards the sockets (connect needs search permission on it); the socket modes
/// guard the case of a directory someone opened up again.
/// </summary>
internal static class SocketPermissions
{
    public const uint DirectoryMode = 0x1E8; // 0750
    public const uint SocketMode = 0x1B0;    // 0660

    /// <summary>Gives the socket directory its owners and mode; returns a one-line problem or null.</summary>
    public static string? SecureDirectory(string dir, int? group) =>
        Apply(dir, DirectoryMode, group) is { } error ? $"cannot secure the directory {dir}: {error}" : null;

    /// <summary>Gives a socket the agent just bound its owners and mode; throws IOException with one line when it cannot.</summary>
    public static void SecureSocket(string path, AgentOptions options)
    {
        if (Apply(path, SocketMode, options.SocketGroup) is { } error)
            throw new IOException($"cannot secure {path}: {error}");
    }

    private static string? Apply(string path, uint mode, int? group)
    {
        // Owner first, then mode: chown may clear set-id bits, and nothing here should keep them anyway.
        var gid = group ?? Libc.GetEGid();
        if (FileCalls.ChangeOwner(path, Libc.GetEUid(), gid) is { IsError: true } chown)
            return chown.Error == Errno.EPERM && group is not null
                ? $"cannot give it to group {gid}: {FileCalls.Describe(chown.Error)}"
                : FileCalls.Describe(chown.Error);
        return FileCalls.ChangeMode(path, mode) is { IsError: true } chmod ? FileCalls.Describe(chmod.Error) : null;
    }
}
