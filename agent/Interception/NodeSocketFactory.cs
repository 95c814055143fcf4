using System.Collections.Concurrent;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Creates node sockets that look like the application's own: same family, type and protocol, and every
/// option the application changed from its default (so buffer autotuning stays on unless the app turned it off).
/// </summary>
internal sealed class NodeSocketFactory
{
    private readonly record struct Option(int Level, int Name, bool TcpOnly = false, bool Inet6Only = false, bool InetOnly = false,
        bool DatagramOnly = false, int Size = 4);

    private static readonly Option[] CopiedOptions =
    [
        new(Libc.SOL_SOCKET, Libc.SO_REUSEADDR), new(Libc.SOL_SOCKET, Libc.SO_REUSEPORT),
        new(Libc.SOL_SOCKET, Libc.SO_KEEPALIVE), new(Libc.SOL_SOCKET, Libc.SO_BROADCAST, DatagramOnly: true), // no effect on TCP
        new(Libc.SOL_SOCKET, Libc.SO_RCVBUF), new(Libc.SOL_SOCKET, Libc.SO_SNDBUF),
        new(Libc.SOL_SOCKET, Libc.SO_LINGER, Size: 8),
        new(Libc.IPPROTO_TCP, Libc.TCP_NODELAY, TcpOnly: true), new(Libc.IPPROTO_TCP, Libc.TCP_KEEPIDLE, TcpOnly: true),
        new(Libc.IPPROTO_TCP, Libc.TCP_KEEPINTVL, TcpOnly: true), new(Libc.IPPROTO_TCP, Libc.TCP_KEEPCNT, TcpOnly: true),
        new(Libc.IPPROTO_TCP, Libc.TCP_USER_TIMEOUT, TcpOnly: true),
        new(Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, Inet6Only: true), new(Libc.IPPROTO_IPV6, Libc.IPV6_TCLASS, Inet6Only: true),
        new(Libc.IPPROTO_IP, Libc.IP_TOS, InetOnly: true),
    ];

    // Default values of each option for a fresh socket of a kind, learnt once per kind.
    private readonly ConcurrentDictionary<SocketCalls.Kind, byte[][]> _defaults = new();

    /// <summary>
    /// A new non-blocking node socket mirroring <paramref name="original"/> (the session's spare when it has one
    /// of that kind); -errno on failure.
    /// </summary>
    public int CreateLike(int original, SocketCalls.Kind kind, SpareSocket? spare = null)
    {
        var fd = spare?.Take(kind) ?? -1;
        if (fd < 0) fd = SocketCalls.Create(kind);
        if (fd < 0) return fd;
        var defaults = _defaults.GetOrAdd(kind, ReadDefaults);
        Span<byte> value = stackalloc byte[8];
        for (var i = 0; i < CopiedOptions.Length; i++)
        {
            var option = CopiedOptions[i];
            if (!Applies(option, kind)) continue;
            var len = SocketCalls.GetRaw(original, option.Level, option.Name, value[..option.Size]);
            if (len <= 0 || value[..len].SequenceEqual(defaults[i])) continue;
            // The kernel reports buffer sizes doubled (bookkeeping overhead); set what the app set.
            if (option is { Level: Libc.SOL_SOCKET, Name: Libc.SO_RCVBUF or Libc.SO_SNDBUF })
                SocketCalls.SetInt(fd, option.Level, option.Name, BitConverter.ToInt32(value) / 2);
            else
                SocketCalls.SetRaw(fd, option.Level, option.Name, value[..len]);
        }
        return fd;
    }

    private static bool Applies(Option option, SocketCalls.Kind kind) =>
        (!option.TcpOnly || (kind.Type == Libc.SOCK_STREAM && kind.Protocol is 0 or Libc.IPPROTO_TCP))
        && (!option.DatagramOnly || kind.Type == Libc.SOCK_DGRAM)
        && (!option.Inet6Only || kind.Domain == Libc.AF_INET6)
        && (!option.InetOnly || kind.Domain == Libc.AF_INET);

    private static byte[][] ReadDefaults(SocketCalls.Kind kind)
    {
        var fd = SocketCalls.Create(kind);
        var result = new byte[CopiedOptions.Length][];
        Span<byte> value = stackalloc byte[8];
        for (var i = 0; i < CopiedOptions.Length; i++)
        {
            var len = fd >= 0 && Applies(CopiedOptions[i], kind) ? SocketCalls.GetRaw(fd, CopiedOptions[i].Level, CopiedOptions[i].Name, value[..CopiedOptions[i].Size]) : -1;
            result[i] = len > 0 ? value[..len].ToArray() : [];
        }
        if (fd >= 0) Libc.Close(fd);
        return result;
    }
}
