using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>
/// Who is at the other end of a Unix socket connection: SO_PEERCRED (pid, uid, gid as of connect, translated into
/// the agent's user namespace) and SO_PEERGROUPS (the peer's supplementary groups).
/// </summary>
internal readonly record struct PeerCredentials(int Pid, int Uid, int Gid, IReadOnlyList<int> Groups)
{
    private const int MaxGroups = 256;

    /// <summary>The credentials of <paramref name="socket"/>'s peer, or null when the kernel cannot tell (not a Unix socket).</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        Libc.UCred cred = default;
        try
        {
            var raw = MemoryMarshal.AsBytes(new Span<Libc.UCred>(ref cred));
            if (socket.GetRawSocketOption(SOL.SOCKET, SO.PEERCRED, raw) != raw.Length) return null;
            return new PeerCredentials(cred.Pid, (int)cred.Uid, (int)cred.Gid, GroupsOf(socket));
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
            var length = socket.GetRawSocketOption(SOL.SOCKET, SO.PEERGROUPS, buffer);
            return MemoryMarshal.Cast<byte, int>(buffer.AsSpan(0, length)).ToArray();
        }
        catch (SocketException)
        {
            // ERANGE (more groups than we read) or an old kernel: the primary group still counts.
            return [];
        }
    }
}
