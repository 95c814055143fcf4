using Tmds.Linux;

namespace AppSwitch.Agent.Native;

/// <summary>The splice(2) relay's calls (Relay/SpliceConnection) with <see cref="SysResult"/> results.</summary>
internal static unsafe class SpliceCalls
{
    /// <summary>Moves up to <paramref name="length"/> bytes from one fd to the other without blocking: the count (0: end of stream).</summary>
    public static SysResult Move(int from, int to, int length) =>
        SysResult.FromReturn(LibC.splice(from, null, to, null, length, SPLICE.F_MOVE | SPLICE.F_NONBLOCK));

    /// <summary>shutdown(SHUT_WR): sends FIN.</summary>
    public static SysResult ShutdownWrite(int socketFd) => SysResult.FromReturn(LibC.shutdown(socketFd, SHUT.WR));
}
