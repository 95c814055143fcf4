using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>sendto(2), for the datagrams the agent sends on an app's behalf (Interception/SendToHandler).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Lib, EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, byte* buffer, nuint length, int flags, byte* address, int addressLength);
}
