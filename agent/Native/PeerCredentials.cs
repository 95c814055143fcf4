using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>
/// Who is at the other end of a Unix socket connection: SO_PEERCRED (pid, uid, gid as of connect, translated into
/// the agent's user namespace) and SO_PEERGROUPS (the peer's supplementary groups).
/// </summary>
internal readonly record struct PeerCredentials(int Pid, int Uid, int Gid, IReadOnlyList<int> Groups)
{
    private const int SoPeerGroups = 59;
    private const int MaxGroups = 256;

    /// <summary>The credentials of <paramref name="socket"/>'s peer, or null when the kernel cannot tell (not a Unix socket).</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        Span<byte> cred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        try
        {
            if (socket.GetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_PEERCRED, cred) != cred.Length) return null;
            var ints = MemoryMarshal.Cast<byte, int>(cred);
            return new PeerCredentials(ints[0], ints[1], ints[2], GroupsOf(socket));
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static int[] GroupsOf(Socket socket)
    {
        var buffer = new byte[MaxGroups * sizeof(int)];
        try
        {
            var length = socket.GetRawSocketOption(Libc.SOL_SOCKET, SoPeerGroups, buffer);
            return MemoryMarshal.Cast<byte, int>(buffer.AsSpan(0, length)).ToArray();
        }
        catch (SocketException)
        {
            // ERANGE (more groups than we read) or an old kernel: the primary group still counts.
            return [];
        }
    }
}
