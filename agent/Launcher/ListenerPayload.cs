namespace AppSwitch.Agent.Launcher;

/// <summary>
/// The LISTENER payload (docs/launcher-protocol.md): empty, or the fd number of the listener copy left in the app
/// (u32; all ones: none), optionally followed by the number of DNS sockets that came after the listener (u32: 0 or
/// 2) and, when 2, the fd numbers of their copies left in the app, optionally followed by the keeper's pid (u32; 0:
/// none). Launchers before the keeper end before the pid: <see cref="HasKeeperField"/> says which kind sent it.
/// </summary>
internal readonly record struct ListenerPayload(int ReclaimFd, uint DnsFds, (int Udp, int Tcp) DnsReclaimFds, int KeeperPid, bool HasKeeperField)
{
    public static ListenerPayload Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0) return new(-1, 0, (-1, -1), 0, false);
        var reader = new PayloadReader(payload);
        var fd = FdNumber(reader.UInt32());
        var dnsFds = reader.Remaining > 0 ? reader.UInt32() : 0;
        var dnsCopies = dnsFds == 2 ? (FdNumber(reader.UInt32()), FdNumber(reader.UInt32())) : (-1, -1);
        var hasKeeper = reader.Remaining > 0;
        var keeper = hasKeeper ? reader.UInt32() : 0;
        reader.End();
        if (keeper > int.MaxValue) throw new LauncherProtocolException($"the LISTENER frame names keeper pid {keeper}, which no process can have");
        return new(fd, dnsFds, dnsCopies, (int)keeper, hasKeeper);
    }

    private static int FdNumber(uint fd) => fd > int.MaxValue ? -1 : (int)fd;
}
