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
        new(SOL.SOCKET, SO.REUSEADDR), new(SOL.SOCKET, SO.REUSEPORT),
        new(SOL.SOCKET, SO.KEEPALIVE), new(SOL.SOCKET, SO.BROADCAST, DatagramOnly: true), // no effect on TCP
        new(SOL.SOCKET, SO.RCVBUF), new(SOL.SOCKET, SO.SNDBUF),
        new(SOL.SOCKET, SO.LINGER, Size: 8),
        new(IPPROTO.TCP, TCP.NODELAY, TcpOnly: true), new(IPPROTO.TCP, TCP.KEEPIDLE, TcpOnly: true),
        new(IPPROTO.TCP, TCP.KEEPINTVL, TcpOnly: true), new(IPPROTO.TCP, TCP.KEEPCNT, TcpOnly: true),
        new(IPPROTO.TCP, TCP.USER_TIMEOUT, TcpOnly: true),
        new(IPPROTO.IPV6, IPV6.V6ONLY, Inet6Only: true), new(IPPROTO.IPV6, IPV6.TCLASS, Inet6Only: true),
        new(IPPROTO.IP, IP.TOS, InetOnly: true),
    ];

    private const int MaxOptionSize = 8;

    // Default values of each option for a fresh socket of a kind, learnt once per kind.
    private readonly ConcurrentDictionary<SocketCalls.Kind, byte[][]> _defaults = new();

    /// <summary>
    /// A new non-blocking node socket mirroring <paramref name="original"/> (the session's spare when it has one
    /// of that kind: only options in which the two differ are set then): its fd, which the caller owns.
    /// </summary>
    public SysResult CreateLike(int original, SocketCalls.Kind kind, SpareSocket? spare = null)
    {
        var defaults = _defaults.GetOrAdd(kind, ReadDefaults);
        // Not copied after the answer: that would race the app's own setsockopt (Nagle stalls; NOTES, "Data-path benchmark").
        // The app's value of each option (MaxOptionSize bytes a slot; length 0: not read or not applicable).
        Span<byte> values = stackalloc byte[CopiedOptions.Length * MaxOptionSize];
        Span<int> lengths = stackalloc int[CopiedOptions.Length];
        for (var i = 0; i < CopiedOptions.Length; i++)
        {
            var option = CopiedOptions[i];
            if (!Applies(option, kind)) continue;
            var read = SocketCalls.GetRaw(original, option.Level, option.Name, values.Slice(i * MaxOptionSize, option.Size));
            lengths[i] = read.IsError ? 0 : (int)read.Value;
        }
        ReadOnlySpan<byte> Value(Span<byte> all, Span<int> lens, int i) => all.Slice(i * MaxOptionSize, lens[i]);

        byte[]?[]? preset = null;
        var fd = spare?.Take(kind, out preset) ?? -1;
        // A value set on the spare cannot be unset (a buffer size set even to the default stays locked): a fresh socket then.
        if (fd >= 0 && preset is not null)
            for (var i = 0; i < CopiedOptions.Length; i++)
                if (preset[i] is not null && lengths[i] > 0 && Value(values, lengths, i).SequenceEqual(defaults[i]))
                {
                    Libc.Close(fd);
                    (fd, preset) = (-1, null);
                    break;
                }
        if (fd < 0)
        {
            var created = SocketCalls.Create(kind);
            if (created.IsError) return created;
            fd = created.Fd;
        }

        var profileHolds = spare?.Profile is not null;
        for (var i = 0; i < CopiedOptions.Length; i++)
        {
            if (lengths[i] == 0) continue;
            var wanted = Value(values, lengths, i);
            var isDefault = wanted.SequenceEqual(defaults[i]);
            if (profileHolds && !(isDefault ? spare!.Profile![i] is null : spare!.Profile![i] is { } known && wanted.SequenceEqual(known)))
                profileHolds = false;
            if (preset?[i] is { } has ? wanted.SequenceEqual(has) : isDefault) continue; // the socket has it already
            Set(fd, CopiedOptions[i], wanted);
        }
        // What the next spare is made with: this socket's values (kept as they are while the app repeats itself).
        if (spare is not null && !profileHolds)
        {
            var profile = new byte[]?[CopiedOptions.Length];
            for (var i = 0; i < CopiedOptions.Length; i++)
                if (lengths[i] > 0 && !Value(values, lengths, i).SequenceEqual(defaults[i])) profile[i] = Value(values, lengths, i).ToArray();
            spare.Profile = profile;
        }
        return SysResult.Ok(fd);
    }

    /// <summary>After a connect was answered: a spare of <paramref name="kind"/> for the app's next one, with its last values.</summary>
    public void RefillSpare(SpareSocket spare, SocketCalls.Kind kind)
    {
        if (spare.Holds(kind)) return;
        var created = SocketCalls.Create(kind);
        if (created.IsError) return; // the next connect makes its socket itself
        var fd = created.Fd;
        var profile = spare.Profile;
        if (profile is not null)
            for (var i = 0; i < CopiedOptions.Length; i++)
                if (profile[i] is { } v && Applies(CopiedOptions[i], kind)) Set(fd, CopiedOptions[i], v);
        spare.Put(fd, kind, profile);
    }

    private static void Set(int fd, Option option, ReadOnlySpan<byte> value)
    {
        // The kernel reports buffer sizes doubled (bookkeeping overhead); set what the app set.
        if (option is { Level: SOL.SOCKET, Name: SO.RCVBUF or SO.SNDBUF })
            SocketCalls.SetInt(fd, option.Level, option.Name, BitConverter.ToInt32(value) / 2);
        else
            SocketCalls.SetRaw(fd, option.Level, option.Name, value);
    }

    private static bool Applies(Option option, SocketCalls.Kind kind) =>
        (!option.TcpOnly || (kind.Type == SOCK.STREAM && kind.Protocol is 0 or IPPROTO.TCP))
        && (!option.DatagramOnly || kind.Type == SOCK.DGRAM)
        && (!option.Inet6Only || kind.Domain == AF.INET6)
        && (!option.InetOnly || kind.Domain == AF.INET);

    private static byte[][] ReadDefaults(SocketCalls.Kind kind)
    {
        using var fresh = OwnedFd.From(SocketCalls.Create(kind), out _);
        var result = new byte[CopiedOptions.Length][];
        Span<byte> value = stackalloc byte[8];
        for (var i = 0; i < CopiedOptions.Length; i++)
        {
            var read = fresh is not null && Applies(CopiedOptions[i], kind)
                ? SocketCalls.GetRaw(fresh.Fd, CopiedOptions[i].Level, CopiedOptions[i].Name, value[..CopiedOptions[i].Size])
                : Errno.EBADF;
            result[i] = read is { IsError: false, Value: > 0 } ? value[..(int)read.Value].ToArray() : [];
        }
        return result;
    }
}
