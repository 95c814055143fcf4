using System.Net.Sockets;

namespace AppSwitch.Agent.Hosting;

/// <summary>The REST API's Unix socket file: claimed before Kestrel binds it, opened to the group, removed on exit.</summary>
internal static class ApiSocketFile
{
    /// <summary>Rw for owner and group: members of the socket directory's group may use `ax get` without root.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>
    /// Removes a socket file left by an agent that died. Returns false when a live agent still answers on it:
    /// deleting that one would silently cut it off from its CLI.
    /// </summary>
    public static bool TryClaim(string path)
    {
        if (!File.Exists(path)) return true;
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                return false;
            }
            catch (SocketException)
            {
                // Refused (nobody listening) or not a socket at all: stale.
            }
        }
        File.Delete(path);
        return true;
    }

    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Already gone or unreachable; nothing else to clean.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
